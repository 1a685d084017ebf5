"""The quick search: a frameless popup (from the menu-bar icon or ⌘K) that finds a model in a keystroke.

My Models answer at once (the window's own entries, matched by the same filter index); after a pause in
typing the Hub answers too, through the window's controller, so its client, rate limiter, store and config
fetcher serve both. A new query cancels the Hub search of the previous one. Results are one-line cards.

Keys: Up/Down move, Return opens the model in the main window, ⌘Return opens it on Hugging Face, ⌘C copies
its id (when no text is selected in the field), Escape or clicking elsewhere hides the popup.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, QRect, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QCursor, QDesktopServices, QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QFrame, QLabel, QLineEdit, QListView, QVBoxLayout, QWidget

from app.core.hub_scope import SearchScope, search_scope
from app.core.listing import with_config
from app.core.model_entry import ConfigStatus, ModelEntry, Source
from app.ui.compact_delegate import CompactCardDelegate
from app.ui.model_list import ModelListModel
from app.ui.placement import Box, ScreenArea, place_popup
from app.ui.roles import ENTRY_ROLE

if TYPE_CHECKING:
    from app.services.config_fetcher import FetchResult
    from app.ui.controller import Controller

log = logging.getLogger("mlx_manager.ui")

WIDTH, HEIGHT = 640, 440
VISIBLE_ROWS = 8
LOCAL_LIMIT = 50
HUB_LIMIT = 20
HUB_DEBOUNCE_MS = 250
WARM_DELAY_MS = 1500
# A click on the menu-bar icon while the popup is open first deactivates it (hiding it), then arrives as a
# click: within this long after such a hide, the click means "close", not "open again".
REOPEN_GUARD_S = 0.35
KEYS_HINT = "↩ Open   ⌘↩ Hugging Face   ⌘C Copy ID   esc Close"


def _box(rect: QRect) -> Box:
    return Box(rect.x(), rect.y(), rect.width(), rect.height())


def screen_areas() -> list[ScreenArea]:
    """Every screen, the primary first, as plain rectangles for `place_popup`."""
    primary = QGuiApplication.primaryScreen()
    screens = sorted(QGuiApplication.screens(), key=lambda s: s is not primary)
    return [ScreenArea(_box(s.geometry()), _box(s.availableGeometry())) for s in screens]


class QuickSearch(QFrame):
    open_requested = Signal(str)  # a repo id to show in the main window
    settled_changed = Signal()  # the results are final for the current query (Hub answered, configs in)

    def __init__(self, local_model: ModelListModel, controller: Controller, *, hub_model: ModelListModel | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Tool | Qt.WindowType.FramelessWindowHint
                         | Qt.WindowType.WindowStaysOnTopHint)
        self.setObjectName("quickSearch")
        self.setAccessibleName("Quick search")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#quickSearch { background: palette(window); border: 1px solid palette(mid);"
                           " border-radius: 10px; }")
        self.controller = controller
        self.scope: SearchScope = search_scope("mlx")
        # Seams: tests record instead of launching a browser or touching the clipboard.
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        self.hide_on_deactivate = True
        self._source = local_model
        self._hub_source = hub_model
        self._source_dirty = True
        self._indexed: dict[str, ModelEntry] = {}  # the entries the index holds, by id
        for signal in (local_model.modelReset, local_model.rowsInserted, local_model.rowsRemoved,
                       local_model.dataChanged):
            signal.connect(self._mark_dirty)
        # All local entries, matched by the typed words; nothing shown from it directly.
        self._local = ModelListModel(self)
        self.results = ModelListModel(self)
        self.results.set_sort("downloads")  # a Hub key: rows stay in the order given (local, then Hub)
        self._hub_entries: list[ModelEntry] = []
        self._hub_query: str | None = None  # the query the Hub answered (None: not asked yet)
        self._hub_task: asyncio.Task[None] | None = None
        self._hub_note = ""
        self._deactivated_at = float("-inf")
        # My Models changing while the popup is open (sizes landing, a download finishing) shows at once.
        self._source_timer = QTimer(self)
        self._source_timer.setSingleShot(True)
        self._source_timer.setInterval(0)
        self._source_timer.timeout.connect(self._refresh_local)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 8)
        layout.setSpacing(6)
        self.field = QLineEdit(self)
        self.field.setPlaceholderText("Search models on this Mac and on Hugging Face")
        self.field.setClearButtonEnabled(True)
        font = self.field.font()
        font.setPointSizeF(font.pointSizeF() * 1.3 if font.pointSizeF() > 0 else 15)
        self.field.setFont(font)
        self.field.setFrame(False)
        self.field.installEventFilter(self)
        layout.addWidget(self.field)
        self.list = QListView(self)
        self.list.setModel(self.results)
        self.delegate = CompactCardDelegate(self.list)
        self.list.setItemDelegate(self.delegate)
        self.list.setFrameShape(QFrame.Shape.NoFrame)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setUniformItemSizes(True)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # typing always goes to the field
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.clicked.connect(self._clicked)
        layout.addWidget(self.list, 1)
        self.footer = QLabel(self)
        self.footer.setObjectName("quickSearchFooter")
        self.footer.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(self.footer)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(HUB_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._search_hub)
        self.field.textChanged.connect(self._on_text)
        self.results.modelReset.connect(self._select_first)
        landed = getattr(controller, "config_result", None)
        if landed is not None:
            landed.connect(self._on_config)
        self.resize(WIDTH, HEIGHT)
        self._update_footer()

    # --- showing ------------------------------------------------------------------------------------

    def popup(self, anchor: QRect | None = None) -> None:
        """Show under `anchor` (the menu-bar icon), or at the top right of the screen under the cursor."""
        self._refresh_local()
        self._rebuild()
        height = self._wanted_height()
        cursor = QCursor.pos()
        box = place_popup(WIDTH, height, _box(anchor) if anchor is not None else None, screen_areas(),
                          (cursor.x(), cursor.y()))
        self.setGeometry(box.x, box.y, box.w, box.h)
        self.show()
        self.raise_()
        self.activateWindow()
        self.field.setFocus(Qt.FocusReason.PopupFocusReason)
        self.field.selectAll()

    def toggle(self, anchor: QRect | None = None) -> None:
        """The menu-bar icon's click: open, or close when open (or closed by this very click)."""
        if self.isVisible():
            self.hide()
        elif time.monotonic() - self._deactivated_at > REOPEN_GUARD_S:
            self.popup(anchor)

    def _wanted_height(self) -> int:
        rows = VISIBLE_ROWS * self.delegate.row_height()
        return self.field.sizeHint().height() + rows + self.footer.sizeHint().height() + 34

    def hideEvent(self, event: Any) -> None:
        self._debounce.stop()
        super().hideEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.WindowDeactivate and self.hide_on_deactivate and self.isVisible():
            self._deactivated_at = time.monotonic()
            self.hide()  # clicked elsewhere: a popup does not linger
        return super().event(event)

    # --- typing ---------------------------------------------------------------------------------------

    @property
    def query(self) -> str:
        return self.field.text().strip()

    def set_query(self, text: str) -> None:
        self.field.setText(text)  # as if typed: local results now, the Hub after the pause

    def _mark_dirty(self, *_args: object) -> None:
        self._source_dirty = True
        # Open: at once. Closed: kept warm a little later, off the moments the window is busy (startup),
        # so that opening finds the index built and only the changes left to apply.
        self._source_timer.start(0 if self.isVisible() else WARM_DELAY_MS)

    def _refresh_local(self) -> None:
        if not self._source_dirty:
            return
        self._source_dirty = False
        entries = self._source.all_entries()
        known = self._indexed
        fresh = {e.id: e for e in entries}
        if not known:
            self._local.set_entries(entries)  # the whole index, once
        else:
            # Usually a few entries changed (sizes landing, a download): apply just those.
            gone = [i for i in known if i not in fresh]
            added = [e for e in entries if e.id not in known]
            changed = [e for e in entries if (old := known.get(e.id)) is not None and old is not e]
            if gone:
                self._local.remove_ids(gone)
            if added:
                self._local.append_entries(added)
            if changed:
                self._local.update_entries(changed)
        self._indexed = fresh
        self._local.set_text_filter(self.query)
        if self.isVisible():
            self._rebuild()

    def _on_text(self, _text: str) -> None:
        # A new query: the previous one's Hub answer is no longer wanted.
        if self._hub_task is not None and not self._hub_task.done():
            self._hub_task.cancel()
        self._hub_task = None
        self._hub_entries = []
        self._hub_query = None
        self._hub_note = ""
        if self._source_dirty:
            self._refresh_local()
        else:
            self._local.set_text_filter(self.query)
            self._rebuild()
        if self.query:
            self._debounce.start()
        else:
            self._debounce.stop()
        self.settled_changed.emit()

    def _rebuild(self) -> None:
        current = self.current_entry()
        local = self._local.shown_entries()[:LOCAL_LIMIT]
        seen = {e.id for e in local}
        hub = [e for e in self._hub_entries if e.id not in seen][:HUB_LIMIT]
        self.results.set_entries([*local, *hub])
        if current is not None:
            row = self.results.row_of(current.id)
            if row is not None:
                self._select(row)
        self._update_footer()

    # --- the Hub --------------------------------------------------------------------------------------

    def _search_hub(self) -> None:
        query = self.query
        if not query or self._hub_query == query:
            return
        if self._hub_task is not None and not self._hub_task.done():
            self._hub_task.cancel()
        self._hub_note = "Searching Hugging Face…"
        self._update_footer()
        self._hub_task = self.controller.reporter.spawn(self._hub(query), name=f"quick search {query!r}")

    async def _hub(self, query: str) -> None:
        hub_module = importlib.import_module("app.services.hub_client")
        try:
            await asyncio.shield(self.controller.start_hub())
            client = self.controller.client
            if client is None:
                raise RuntimeError("the Hub client is not running")
            page = await client.search(query, author=self.scope.author, filters=self.scope.filters,
                                       limit=HUB_LIMIT)
        except asyncio.CancelledError:
            raise
        except hub_module.HubError as exc:
            self._hub_done(query, [], f"Hugging Face: {hub_module.describe(exc.outcome)}")
            return
        except Exception as exc:  # noqa: BLE001 - logged and said in the popup's footer
            log.warning("quick search: the Hub could not be searched: %s", type(exc).__name__)
            self._hub_done(query, [], "Hugging Face could not be searched")
            return
        entries = [self._known(e) for e in page.entries]
        self._hub_done(query, entries, "" if entries else "No matches on Hugging Face")
        wanted = [e.id for e in entries if e.config_status is ConfigStatus.PENDING]
        fetcher = self.controller.fetcher
        if wanted and fetcher is not None:
            fetcher.request(wanted)

    def _known(self, entry: ModelEntry) -> ModelEntry:
        """The window's version of a Hub entry when it already has its config (badges at once)."""
        return self.controller.with_known([entry])[0]

    def _hub_done(self, query: str, entries: list[ModelEntry], note: str) -> None:
        if query != self.query:
            return
        self._hub_query = query
        self._hub_entries = entries
        self._hub_note = note
        self._rebuild()
        self.settled_changed.emit()

    def _on_config(self, repo_id: str, result: FetchResult) -> None:
        for n, entry in enumerate(self._hub_entries):
            if entry.id != repo_id:
                continue
            if result.ok and result.characteristics is not None:
                new = with_config(entry, result.characteristics)
            elif result.kind in ("rate_limited", "offline"):
                return  # still coming
            else:
                new = entry.with_changes(config_status=ConfigStatus.UNAVAILABLE,
                                         config_error=result.error or result.kind)
            self._hub_entries[n] = new
            self.results.update_entry(new)
            self.settled_changed.emit()
            return

    @property
    def settled(self) -> bool:
        """Local results shown, the Hub answered the current query, and its cards' configs are in."""
        if not self.query:
            return not self._source_dirty
        if self._hub_query != self.query:
            return False
        return all(e.config_status is not ConfigStatus.PENDING for e in self._hub_entries[:HUB_LIMIT])

    # --- keys and actions -----------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.field and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            return self._key(event)
        return super().eventFilter(watched, event)

    def _key(self, event: QKeyEvent) -> bool:
        key = event.key()
        command = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)  # ⌘ on macOS
        if key in (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
            step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_PageDown: VISIBLE_ROWS,
                    Qt.Key.Key_PageUp: -VISIBLE_ROWS}[Qt.Key(key)]
            self.move_selection(step)
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if command:
                self.open_on_hub()
            else:
                self.open_selected()
            return True
        if key == Qt.Key.Key_Escape:
            self.hide()
            return True
        if event.matches(QKeySequence.StandardKey.Copy) and not self.field.hasSelectedText():
            self.copy_id()
            return True
        return False

    def move_selection(self, step: int) -> None:
        count = self.results.rowCount()
        if count == 0:
            return
        current = self.list.currentIndex()
        row = current.row() + step if current.isValid() else (0 if step > 0 else count - 1)
        self._select(max(0, min(count - 1, row)))

    def _select(self, row: int) -> None:
        index = self.results.index(row, 0)
        self.list.setCurrentIndex(index)
        self.list.scrollTo(index)

    def _select_first(self) -> None:
        if self.results.rowCount() and not self.list.currentIndex().isValid():
            self._select(0)

    def current_entry(self) -> ModelEntry | None:
        index = self.list.currentIndex()
        if not index.isValid():
            return None
        entry = index.data(ENTRY_ROLE)
        return entry if isinstance(entry, ModelEntry) else None

    def open_selected(self) -> None:
        entry = self.current_entry()
        if entry is not None:
            self.hide()
            self.open_requested.emit(entry.id)

    def open_on_hub(self) -> None:
        entry = self.current_entry()
        if entry is not None:
            self.hide()
            self.open_url(QUrl(self.controller.model_url(entry.id)))

    def copy_id(self) -> None:
        entry = self.current_entry()
        if entry is not None:
            QGuiApplication.clipboard().setText(entry.id)
            self._hub_note = f"Copied {entry.id}"
            self._update_footer()

    def entry(self, repo_id: str) -> ModelEntry | None:
        """A result by id (the main window opens Hub results it does not list yet from here)."""
        row = self.results.row_of(repo_id)
        return self.results.entry_at(row) if row is not None else None

    def _clicked(self, index: QModelIndex) -> None:
        self._select(index.row())
        self.open_selected()

    def _update_footer(self) -> None:
        local = sum(1 for e in self.results.all_entries() if e.source is not Source.HUB)
        hub = self.results.rowCount() - local
        parts = [f"{local} on this Mac" if local != 1 else "1 on this Mac"]
        if self._hub_query is not None and self._hub_query == self.query:
            parts.append(f"{hub} on Hugging Face")
        if self._hub_note:
            parts.append(self._hub_note)
        self.footer.setText(" · ".join(parts) + "      " + KEYS_HINT)
