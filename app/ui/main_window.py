"""The main window: toolbar, error banner, filter chips, the two card lists (one model each), the status bar.

One `FilterState` applies to both lists; it is kept in the window's QSettings, so the filters of the last
session are on at the next launch.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QListView,
    QMainWindow,
    QMenu,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.filters import FilterState, server_params
from app.core.model_entry import ModelEntry
from app.core.model_id import repo_folder_name
from app.core.window_size import MIN_SIZE  # half a 13-inch screen: the cards' badges wrap
from app.ui.cache_watch import CacheWatcher
from app.ui.card_delegate import CardDelegate
from app.ui.card_list_view import CardListView
from app.ui.controller import Controller, HubState, NetworkStatus
from app.ui.controller import hub_endpoint as controller_hub_endpoint
from app.ui.errors import ErrorBanner, ErrorReporter
from app.ui.filter_chips import FilterChipsBar
from app.ui.filter_settings import load_filter_state, save_filter_state
from app.ui.model_list import ModelListModel
from app.ui.roles import ENTRY_ROLE
from app.ui.settings import View, WindowSettings
from app.ui.status import StatusBar, count_text, loaded_text
from app.ui.toolbar import HUB_SORT_KEYS, LOCAL_SORT_KEYS, Toolbar

if TYPE_CHECKING:
    from app.ui.filter_dialog import FilterDialog

log = logging.getLogger(__name__)

DEFAULT_SIZE = (1100, 760)


def reveal_in_file_manager(path: str) -> bool:
    """Show a folder in Finder (selected) or the desktop's file manager; never waits for it.

    False when there is no file manager to ask (no `xdg-open` on a bare Linux, say)."""
    if sys.platform == "darwin":
        args = ["open", "-R", path]
    elif sys.platform == "win32":
        args = ["explorer", f"/select,{path}"]
    else:
        args = ["xdg-open", os.path.dirname(path) or path]
    import subprocess  # only when the user asks to reveal a folder

    try:
        subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    except OSError as exc:
        log.warning("could not start %s to show %s: %s", args[0], path, exc)
        return False
    return True


def local_repo_path(cache_root: str, repo_id: str) -> str:
    return os.path.join(cache_root, repo_folder_name(repo_id))


class EmptyState(QWidget):
    """Covers a list when there is nothing to show, saying why and what to do."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAutoFillBackground(False)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        self.title = QLabel(self)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.detail = QLabel(self)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.button = QPushButton(self)
        self.button.hide()
        layout.addWidget(self.title)
        layout.addWidget(self.detail)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(3)
        self._action: Callable[[], None] | None = None
        self.button.clicked.connect(self._clicked)
        self.hide()
        parent.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parent() and event.type() == QEvent.Type.Resize:
            self._fit()
        return False

    def _fit(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())

    def show_state(self, title: str, detail: str = "", button: str = "",
                   action: Callable[[], None] | None = None) -> None:
        self.title.setText(title)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        self._action = action
        self.button.setText(button)
        self.button.setVisible(bool(button and action))
        self._fit()
        self.show()
        self.raise_()

    def clear(self) -> None:
        self.hide()

    @property
    def text(self) -> str:
        return " ".join(t for t in (self.title.text(), self.detail.text()) if t) if self.isVisible() else ""

    def _clicked(self) -> None:
        if self._action is not None:
            self._action()


class MainWindow(QMainWindow):
    closed = Signal()

    def __init__(
        self,
        reporter: ErrorReporter,
        *,
        settings: WindowSettings | None = None,
        cache_dir: str | None = None,
        hub_endpoint: str | None = None,
        store_path: Path | str | None = None,
        initial_view: str | None = None,
        watch_poll_ms: int | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle("MLX Manager")
        self.setMinimumSize(*MIN_SIZE)
        self.reporter = reporter
        self.settings = settings or WindowSettings()
        # Seams: tests replace these so nothing is launched.
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        self.reveal_path: Callable[[str], object] = reveal_in_file_manager

        self.local_model = ModelListModel(self)
        self.hub_model = ModelListModel(self)
        self.controller = Controller(self.local_model, self.hub_model, reporter, cache_dir=cache_dir,
                                     hub_endpoint=hub_endpoint, store_path=store_path, parent=self)
        poll = {} if watch_poll_ms is None else {"poll_ms": watch_poll_ms}
        self.watcher = CacheWatcher(lambda coro: reporter.spawn(coro, name="watching the cache"),
                                    cache_dir, parent=self, **poll)

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.toolbar = Toolbar(central)
        layout.addWidget(self.toolbar)
        self.banner = ErrorBanner(reporter, central)
        banner_box = QWidget(central)
        banner_layout = QVBoxLayout(banner_box)
        banner_layout.setContentsMargins(12, 0, 12, 4)
        banner_layout.addWidget(self.banner)
        layout.addWidget(banner_box)
        self.chips = FilterChipsBar(central)
        chips_box = QWidget(central)
        chips_layout = QVBoxLayout(chips_box)
        chips_layout.setContentsMargins(12, 0, 12, 6)
        chips_layout.addWidget(self.chips)
        self._chips_box = chips_box
        layout.addWidget(chips_box)
        self.stack = QStackedWidget(central)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.local_view = self._make_view(self.local_model, hub_endpoint)
        self.hub_view = self._make_view(self.hub_model, hub_endpoint)
        # My Models can hold thousands of cards: lay them out in batches so the first screenful paints
        # without measuring every card first. (Hub pages are small, and the visible-rows computation for
        # the config fetcher needs the whole page laid out.)
        self.local_view.setLayoutMode(QListView.LayoutMode.Batched)
        self.local_view.setBatchSize(40)
        self.stack.addWidget(self.local_view)
        self.stack.addWidget(self.hub_view)
        self.local_empty = EmptyState(self.local_view)
        self.hub_empty = EmptyState(self.hub_view)
        self.status = StatusBar(self)
        self.setStatusBar(self.status)

        self._make_actions()
        self._connect()
        # Will it run here, will it fit: mlx-lm status, exact parameters and the memory verdict on every card,
        # worked out in the background once the first scan is on screen (never on the startup path).
        from app.ui.runtime_facts import RuntimeFactsGlue

        self.runtime_facts = RuntimeFactsGlue(
            [self.local_model, self.hub_model], store=lambda: self.controller.store,
            spawn=lambda coro, name: reporter.spawn(coro, name=name), parent=self)
        # Try… on My Models cards: a local model's answer streamed from a worker process.
        from app.ui.try_feature import TryFeature

        self.try_feature = TryFeature(self)
        # Downloads, deletion and clean-up (toolbar button, card buttons, context menu, Delete key).
        from app.ui.downloads_feature import DownloadsFeature

        self.downloads = DownloadsFeature(self)

        self.local_sort: str = self.settings.sort(View.MY)
        self.hub_sort: str = self.settings.sort(View.HUB)
        self._reversed = {View.MY: self.settings.sort_reversed(View.MY),
                          View.HUB: self.settings.sort_reversed(View.HUB)}
        self._apply_local_sort(self.local_sort)
        self.controller.hub_sort = self.hub_sort
        self.hub_model.set_sort(self.hub_sort, reverse=self._reversed[View.HUB])
        geometry = self.settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(*DEFAULT_SIZE)
        self._view = "my"
        self._closing = False
        self._started = False
        self._watching = False
        self._filters = FilterState()
        self.filter_dialog: FilterDialog | None = None
        self._apply_filter_state(load_filter_state(self.settings.qsettings), save=False)
        view = initial_view or self.settings.view()
        if view == "hub":
            self.toolbar.set_view("hub")
        else:
            self._update_sort_menu()
            self._refresh_counts()

    # --- building -----------------------------------------------------------------------------------

    def _make_view(self, model: ModelListModel, hub_endpoint: str | None) -> CardListView:
        view = CardListView(self.stack)
        view.setModel(model)
        delegate = CardDelegate(view, hub_url=controller_hub_endpoint(hub_endpoint))
        view.setItemDelegate(delegate)
        delegate.link_activated.connect(lambda url: self.open_url(QUrl(url)))
        view.specs_requested.connect(lambda index, m=model: m.toggle_expanded(index.row()))
        view.context_requested.connect(lambda index, at, v=view: self._context_menu(v, index, at))
        return view

    def _make_actions(self) -> None:
        def action(text: str, slot: Callable[[], object], keys: list[QKeySequence] | None = None,
                   *, widgets: tuple[QWidget, ...] = ()) -> QAction:
            act = QAction(text, self)
            if keys:
                unique: list[QKeySequence] = []
                for key in keys:
                    if not key.isEmpty() and key not in unique:
                        unique.append(key)
                act.setShortcuts(unique)
            act.triggered.connect(lambda _checked=False: slot())
            if widgets:
                # Only when a list has focus: in the search field ⌘C copies its text.
                act.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
                for widget in widgets:
                    widget.addAction(act)
            else:
                self.addAction(act)
            return act

        views = (self.local_view, self.hub_view)
        self.copy_action = action("Copy Model ID", self.copy_selected_id,
                                  [QKeySequence(QKeySequence.StandardKey.Copy)], widgets=views)
        self.open_action = action("Open on Hugging Face", self.open_selected_on_hub)
        self.reveal_action = action("Reveal in Finder" if sys.platform == "darwin" else "Show in Folder",
                                    self.reveal_selected)
        self.specs_action = action("Show Specs", self.toggle_selected_specs)
        self.refresh_action = action("Refresh", self.refresh,
                                     [QKeySequence(QKeySequence.StandardKey.Refresh), QKeySequence("Ctrl+R")])
        self.find_action = action("Search", self.toolbar.focus_search,
                                  [QKeySequence(QKeySequence.StandardKey.Find)])
        self.my_action = action("My Models", lambda: self.set_view("my"), [QKeySequence("Ctrl+1")])
        self.hub_action = action("Hugging Face", lambda: self.set_view("hub"), [QKeySequence("Ctrl+2")])
        # Ctrl is ⌘ on macOS: ⇧⌘F, next to ⌘F for the search field.
        self.filters_action = action("Filters…", self.open_filters, [QKeySequence("Ctrl+Shift+F")])

    def _connect(self) -> None:
        tb = self.toolbar
        tb.view_changed.connect(self._on_view_changed)
        tb.text_changed.connect(self._on_text_changed)
        tb.search_requested.connect(self._on_search_requested)
        tb.sort_changed.connect(self._on_sort_changed)
        tb.reverse_changed.connect(self._on_reverse_changed)
        tb.filters_requested.connect(self.open_filters)
        self.chips.chip_removed.connect(lambda key: self.set_filter_state(self._filters.without(key)))
        self.chips.clear_all.connect(lambda: self.set_filter_state(FilterState()))
        c = self.controller
        c.local_state_changed.connect(self._update_local_empty)
        c.hub_state_changed.connect(self._update_hub_empty)
        c.hub_state_changed.connect(self._refresh_counts)
        c.work_changed.connect(self.status.set_work)
        c.network_changed.connect(self._on_network)
        c.hub_results_replaced.connect(self._on_hub_results)
        self.local_model.count_changed.connect(self._refresh_counts)
        self.hub_model.count_changed.connect(self._refresh_counts)
        self.local_model.count_changed.connect(self._update_local_empty)
        self.local_model.count_changed.connect(c.sync_downloaded)
        self.hub_model.count_changed.connect(self._update_hub_empty)
        self.hub_model.more_requested.connect(c.request_more)
        self.watcher.changed.connect(self.controller.refresh_local)
        # One direction: the view says what is on screen, the controller asks the fetcher for it.
        self.hub_view.visible_changed.connect(c.set_visible)

    # --- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Begin the first scan and the cache watch (and the Hub, when it is the starting view)."""
        if self._started:
            return
        self._started = True
        self.controller.refresh_local()
        # The watch begins once the first scan is complete: its own walk of the cache would only compete
        # with that scan for the CPU at launch.
        self.controller.local_state_changed.connect(self._start_watch)
        # mlx-lm support and memory verdicts likewise wait for the scan (sizes included) to be on screen.
        self.controller.local_state_changed.connect(lambda: self.runtime_facts.start_after_paint(
            self.local_view, when=lambda: self.controller.local_sized))
        if self._view == "hub":
            self._show_hub()

    def _start_watch(self) -> None:
        if self.controller.local_sized and not self._watching and not self._closing:
            self._watching = True
            self.watcher.start()

    async def aclose(self) -> None:
        self._watching = True  # never (re)started once shutting down
        self.watcher.stop()
        await self.runtime_facts.close()
        await self.try_feature.aclose()  # stops any answer, ends the model's worker process
        await asyncio.to_thread(self.downloads.shutdown)  # cancels; partial files are removed as they stop
        await self.controller.aclose()

    def save_settings(self) -> None:
        self.settings.set_geometry(self.saveGeometry())
        self.settings.set_view(self._view)
        self.settings.set_sort(View.MY, self.local_sort, reverse=self._reversed[View.MY])
        self.settings.set_sort(View.HUB, self.hub_sort, reverse=self._reversed[View.HUB])
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing:
            self._closing = True
            self.save_settings()
            self.closed.emit()
        event.accept()

    # --- views ----------------------------------------------------------------------------------------

    @property
    def view(self) -> str:
        return self._view

    @property
    def current_list(self) -> CardListView:
        return self.hub_view if self._view == "hub" else self.local_view

    @property
    def current_model(self) -> ModelListModel:
        return self.hub_model if self._view == "hub" else self.local_model

    def set_view(self, view: str) -> None:
        self.toolbar.set_view(view)

    def _on_view_changed(self, view: str) -> None:
        self._view = view
        self.stack.setCurrentWidget(self.current_list)
        self._update_sort_menu()
        self._refresh_counts()
        if view == "hub" and self._started:
            self._show_hub()

    def _show_hub(self) -> None:
        self.controller.start_hub()
        if self.controller.hub_query is None:
            self.controller.search_hub(self.toolbar.search.text(), self.hub_sort)
        self._update_hub_empty()

    def _update_sort_menu(self) -> None:
        if self._view == View.HUB:
            self.toolbar.set_sort_keys(HUB_SORT_KEYS, self.hub_sort)
        else:
            self.toolbar.set_sort_keys(LOCAL_SORT_KEYS, self.local_sort)
        self.toolbar.set_reverse(self._reversed[View(self._view)])

    # --- search and sort ------------------------------------------------------------------------------

    def _on_text_changed(self, text: str) -> None:
        if self._view == "my":
            if text.strip() != self.local_model.text_filter:
                self.local_model.set_text_filter(text)  # instant: it is all in memory
                self.local_view.scrollToTop()  # a new query starts at the top
            self._update_local_empty()
        else:
            self._update_hub_empty()
            self.controller.warm_hub()

    def _on_search_requested(self, text: str) -> None:
        if self._view == "hub":
            self.controller.search_hub(text, self.hub_sort)

    def _on_sort_changed(self, key: str) -> None:
        if self._view == View.HUB:
            self.hub_sort = key
            self.hub_model.set_sort(key, reverse=self.toolbar.reverse)
            # The Hub's own orders run a new search; ours reorder the results loaded so far.
            self.controller.search_hub(self.toolbar.search.text(), key)
        else:
            self._apply_local_sort(key)
        self.current_list.scrollToTop()  # a new sort starts at the top

    def _on_reverse_changed(self, reverse: bool) -> None:
        self._reversed[View(self._view)] = reverse
        self.current_model.set_sort(self.hub_sort if self._view == View.HUB else self.local_sort, reverse=reverse)
        self.current_list.scrollToTop()

    def _on_hub_results(self, new_search: bool) -> None:
        if new_search:
            self.hub_view.scrollToTop()  # a new query or sort starts at the top

    def _on_network(self, status: NetworkStatus) -> None:
        self.status.set_network(status.state, resume_at=status.resume_at, message=status.message)
        self._update_hub_empty()

    def _apply_local_sort(self, key: str) -> None:
        self.local_sort = key
        self.local_model.set_sort(key, reverse=self._reversed[View.MY])

    def refresh(self) -> None:
        if self._view == "hub":
            self.controller.refresh_hub(self.toolbar.search.text(), self.hub_sort)
        else:
            self.controller.refresh_local()

    # --- filters --------------------------------------------------------------------------------------

    @property
    def filter_state(self) -> FilterState:
        return self._filters

    def set_filter_state(self, state: FilterState) -> None:
        """One filter for both lists (and the Hub's own filters for the next search); remembered."""
        if state != self._filters:
            self._apply_filter_state(state, save=True)

    def _apply_filter_state(self, state: FilterState, *, save: bool) -> None:
        self._filters = state
        self.local_model.set_filter_state(state)
        self.hub_model.set_filter_state(state)
        self.chips.set_state(state)
        self._chips_box.setVisible(not state.is_empty)
        self.toolbar.set_filter_count(len(state.chips()))
        self.controller.set_hub_params(server_params(state))
        if save:
            save_filter_state(self.settings.qsettings, state)
        self._refresh_counts()

    def open_filters(self) -> None:
        """The filter dialog over the current list: its families, and a live count with the search text."""
        if self.filter_dialog is not None:
            self.filter_dialog.raise_()
            self.filter_dialog.activateWindow()
            return
        from app.ui.filter_dialog import FilterDialog, loaded_scope  # imported when first opened: off the startup path

        model = self.current_model
        dialog = FilterDialog(self._filters, model.family_counts(), parent=self, count=model.match_count,
                              facets=model.faceted_family_counts,
                              scope=loaded_scope(model.total_count()) if self._view == View.HUB else None)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.applied.connect(self.set_filter_state)
        dialog.finished.connect(self._filter_dialog_closed)
        self.filter_dialog = dialog
        dialog.open()  # window-modal: a sheet on macOS

    def _filter_dialog_closed(self, _result: int) -> None:
        self.filter_dialog = None

    # --- counts and empty states ------------------------------------------------------------------

    def _refresh_counts(self, *_args: object) -> None:
        model = self.current_model
        shown, held = model.rowCount(), model.total_count()
        # The chips count what the filters let through; the status bar says how big the list is, so the
        # two never repeat one sentence.
        self.chips.set_counts(shown, held)
        if self._view == View.HUB:
            self.status.set_counts(loaded_text(held, self.controller.hub_total))
        elif self._filters.is_empty:
            self.status.set_counts(count_text(shown, held))
        else:
            self.status.set_counts(count_text(held, held))

    def _update_local_empty(self, *_args: object) -> None:
        c = self.controller
        if not c.local_scanned:
            self.local_empty.clear()
        elif self.local_model.total_count() == 0 and not c.cache_exists:
            self.local_empty.show_state(
                "Your Hugging Face cache folder does not exist yet",
                f"Looked for it at {c.cache_root} (set HF_HUB_CACHE or HF_HOME to use another folder). "
                "It is created by the first download.",
                "Browse Hugging Face", lambda: self.set_view("hub"))
        elif self.local_model.total_count() == 0:
            self.local_empty.show_state(
                "No models in your Hugging Face cache yet",
                f"Models you download with mlx-lm or huggingface-cli appear here.\n{c.cache_root}",
                "Browse Hugging Face", lambda: self.set_view("hub"))
        elif self.local_model.rowCount() == 0:
            text = self.local_model.text_filter
            if not self._filters.is_empty:
                self.local_empty.show_state(f"No models match “{text}” and the filters" if text
                                            else "No models match the filters",
                                            "Remove a filter above, or clear them all.", "Clear filters",
                                            lambda: self.set_filter_state(FilterState()))
            else:
                self.local_empty.show_state(f"No models match “{text}”" if text else "No models match",
                                            "Try another name, or clear the search.", "Clear search",
                                            self.toolbar.search.clear)
        else:
            self.local_empty.clear()

    def _update_hub_empty(self, *_args: object) -> None:
        c = self.controller
        state = c.hub_state
        shown = self.hub_model.rowCount()
        typed = self.toolbar.search.text().strip() if self._view == "hub" else c.hub_query
        if typed != (c.hub_query or "") and state in (HubState.EMPTY, HubState.READY) and not shown:
            # The field already says something else: the answer on screen is not this query's.
            self.hub_empty.show_state("Searching the Hub…")
        elif state == HubState.OFFLINE and not shown:
            self.hub_empty.show_state("You're offline", "My Models still works. " + _hub_hint(c.hub_detail),
                                      "Try again", self.refresh)
        elif state == HubState.ERROR and not shown:
            self.hub_empty.show_state("The Hub could not be searched", c.hub_message, "Try again", self.refresh)
        elif state == HubState.EMPTY:
            self.hub_empty.show_state("No results", c.hub_message)
        elif state in (HubState.SEARCHING, HubState.IDLE) and shown == 0:
            self.hub_empty.show_state("Searching the Hub…")
        elif state == HubState.READY and shown == 0 and not self._filters.is_empty:
            self.hub_empty.show_state("No results match the filters",
                                      "None of the results loaded so far match; remove a filter to see them.",
                                      "Clear filters", lambda: self.set_filter_state(FilterState()))
        else:
            self.hub_empty.clear()

    # --- what is on screen ------------------------------------------------------------------------

    @property
    def visibility_pending(self) -> bool:
        """The Hub list has a change it has not looked at yet (what is on screen may be about to change)."""
        return self.hub_view.visibility_pending

    def visible_rows(self, view: CardListView) -> tuple[int, int] | None:
        return view.visible_rows()

    # --- keys, context menu, actions ------------------------------------------------------------------

    def selected_entry(self) -> ModelEntry | None:
        view = self.current_list
        index = view.currentIndex()
        if not index.isValid():
            return None
        entry = index.data(ENTRY_ROLE)
        return entry if isinstance(entry, ModelEntry) else None

    def open_model(self, repo_id: str, entry: ModelEntry | None = None) -> None:
        """Show one model: selected, scrolled to, specs open (the quick search's Return)."""
        from app.ui.open_model import open_in_window

        open_in_window(self, repo_id, entry)

    def copy_selected_id(self) -> None:
        entry = self.selected_entry()
        if entry is not None:
            clipboard = QGuiApplication.clipboard()
            clipboard.setText(entry.id)
            self.status.showMessage(f"Copied {entry.id}", 2000)

    def open_selected_on_hub(self) -> None:
        entry = self.selected_entry()
        if entry is not None:
            url = self.controller.model_url(entry.id)
            if self.open_url(QUrl(url)) is False:
                self.banner.show_message(f"No web browser opened {url}. The address is copied: paste it into "
                                         "a browser.")
                QGuiApplication.clipboard().setText(url)

    def reveal_selected(self) -> None:
        entry = self.selected_entry()
        if entry is not None and self._view == View.MY:
            path = local_repo_path(self.controller.cache_root, entry.id)
            if self.reveal_path(path) is False:
                what = "Finder" if sys.platform == "darwin" else "No file manager"
                self.banner.show_message(f"{what} could not show the folder. It is {path} (copied).")
                QGuiApplication.clipboard().setText(path)

    def toggle_selected_specs(self) -> None:
        view = self.current_list
        index = view.currentIndex()
        if index.isValid():
            self.current_model.toggle_expanded(index.row())

    def _context_menu(self, view: QListView, index: QModelIndex, at: QPoint) -> None:
        entry = index.data(ENTRY_ROLE)
        if not isinstance(entry, ModelEntry):
            return
        model = self.current_model
        self.specs_action.setText("Hide Specs" if model.is_expanded(entry.id) else "Show Specs")
        menu = QMenu(view)
        menu.addAction(self.copy_action)
        menu.addAction(self.open_action)
        if view is self.local_view:
            menu.addAction(self.reveal_action)
        menu.addSeparator()
        menu.addAction(self.specs_action)
        self.try_feature.add_to_menu(menu, view, entry)
        menu.addAction(self.refresh_action)
        self.downloads.add_to_menu(menu, view, entry)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(at)


def _hub_hint(message: str) -> str:
    if "HF_HUB_OFFLINE" in message:
        return "HF_HUB_OFFLINE is set, so the Hub is not contacted; unset it to search."
    return "The Hub could not be reached; search again when you are back online."
