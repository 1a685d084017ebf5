"""Downloads and deletion wired into the main window, kept here so the window needs only a few lines:
`DownloadsFeature(window)` at the end of its construction, `add_to_menu` in its context menu,
`shutdown()` when it closes.

- Hub cards: "⤓ Download" (button and context menu); progress, Cancel and Resume on the card.
- Toolbar: the Downloads button opens the list of active and recent downloads (with Clean Up Cache…).
- My Models: select one or several cards, Delete… (context menu or the Delete key) asks once with the
  space freed; the cards go at once. A finished download rescans My Models, so the model appears with
  its badges.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QListView, QMenu

from app.core import formatting
from app.core.model_entry import ModelEntry, Source
from app.services.downloads import DownloadState, DownloadStatus
from app.ui.cache_actions import CacheActions
from app.ui.download_center import DownloadCenter
from app.ui.download_progress import DownloadOverlay
from app.ui.downloads_button import DownloadsButton
from app.ui.downloads_panel import DownloadsPanel
from app.ui.roles import ENTRY_ROLE


class DownloadsFeature(QObject):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        controller = window.controller
        self.center = DownloadCenter(cache_dir=controller.cache_dir, endpoint=controller.hub_endpoint,
                                     parent=self)
        self.panel: DownloadsPanel | None = None
        self.button = DownloadsButton(self.center, window.toolbar)
        window.toolbar.layout().addWidget(self.button)
        self.button.clicked.connect(self.show_panel)

        self.overlays: list[DownloadOverlay] = []
        for view, offer in ((window.hub_view, True), (window.local_view, False)):
            overlay = DownloadOverlay(self.center, view, offer_download=offer)
            view.itemDelegate().overlay = overlay
            overlay.download_requested.connect(self.download)
            overlay.cancel_requested.connect(self.center.cancel)
            overlay.resume_requested.connect(self.download)
            self.overlays.append(overlay)
        # Several cards of My Models can be selected and deleted together.
        window.local_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)

        self.cache_actions = CacheActions(window, cache_dir=controller.cache_dir, busy_ids=self.center.active_ids)
        self.cache_actions.deleted.connect(self._deleted)
        self.cache_actions.cleaned.connect(self._cleaned)
        self.cache_actions.failed.connect(lambda words: window.reporter.report(words))
        self.center.finished.connect(self._finished)
        self.center.status_changed.connect(self._on_status)

        self.download_action = self._action("Download", self.download_selected)
        delete_keys = [QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence("Ctrl+Backspace")]
        self.delete_action = self._action("Delete…", self.delete_selected, delete_keys, view=window.local_view)
        self.clean_action = self._action("Clean Up Cache…", self.cache_actions.clean_up)
        self.downloads_action = self._action("Downloads", self.show_panel, [QKeySequence("Ctrl+Shift+D")])

    def _action(self, text: str, slot: Any, keys: list[QKeySequence] | None = None,
                view: QListView | None = None) -> QAction:
        action = QAction(text, self.window)
        if keys:
            action.setShortcuts(keys)
        action.triggered.connect(lambda _checked=False: slot())
        if view is not None:
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            view.addAction(action)
        elif keys:
            self.window.addAction(action)
        return action

    # --- commands -------------------------------------------------------------------------------------

    def download(self, repo_id: str) -> None:
        if self.center.start(repo_id):
            self.window.status.showMessage(f"Downloading {repo_id}…", 3000)

    def download_selected(self) -> None:
        entry = self.window.selected_entry()
        if entry is not None:
            self.download(entry.id)

    def selected_local(self) -> list[ModelEntry]:
        view: QListView = self.window.local_view
        rows = sorted({i.row() for i in view.selectionModel().selectedIndexes()})
        entries = [view.model().index(r, 0).data(ENTRY_ROLE) for r in rows]
        found = [e for e in entries if isinstance(e, ModelEntry)]
        current = view.currentIndex().data(ENTRY_ROLE) if view.currentIndex().isValid() else None
        if not found and isinstance(current, ModelEntry):
            found = [current]
        return found

    def delete_selected(self) -> None:
        if self.window.view != "my":
            return
        entries = self.selected_local()
        if entries:
            self.cache_actions.delete([e.id for e in entries])

    def show_panel(self) -> None:
        if self.panel is None:
            self.panel = DownloadsPanel(self.center, self.window)
            self.panel.clean_up_requested.connect(self.cache_actions.clean_up)
            self.panel.open_url = self.window.open_url
        self.panel.show()
        self.panel.raise_()

    def add_to_menu(self, menu: QMenu, view: QListView, entry: ModelEntry) -> None:
        """The download and delete commands that apply to this card, in their own group at the end."""
        status = self.center.status(entry.id)
        added: list[QAction] = []
        if status is not None and status.active:
            added.append(self._menu_item(menu, "Cancel Download", lambda: self.center.cancel(entry.id)))
        elif status is not None and status.resumable:
            label = "Retry Download" if status.state is DownloadState.FAILED else "Resume Download"
            added.append(self._menu_item(menu, label, lambda: self.download(entry.id)))
        elif view is self.window.hub_view and entry.source is Source.HUB:
            added.append(self._menu_item(menu, "Download", lambda: self.download(entry.id)))
        elif entry.source is not Source.HUB and entry.problem:
            # A half-downloaded model (or one missing files): the same download fetches only what lacks.
            added.append(self._menu_item(menu, "Download Missing Files", lambda: self.download(entry.id)))
        if view is self.window.local_view:
            count = len(self.selected_local())
            self.delete_action.setText("Delete…" if count <= 1 else f"Delete {count} Models…")
            added.append(self.delete_action)
        if added and menu.actions():
            menu.addSeparator()
        menu.addActions(added)

    @staticmethod
    def _menu_item(menu: QMenu, text: str, slot: Any) -> QAction:
        action = QAction(text, menu)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def shutdown(self) -> None:
        self.center.shutdown(timeout=5.0)

    # --- results --------------------------------------------------------------------------------------

    def _finished(self, repo_id: str) -> None:
        self.window.status.showMessage(f"Downloaded {repo_id}", 5000)
        self.window.controller.refresh_local()

    def _deleted(self, repo_ids: list[str], freed: int) -> None:
        self.window.local_model.remove_ids(repo_ids)  # the cards go at once; the rescan confirms
        what = repo_ids[0] if len(repo_ids) == 1 else f"{len(repo_ids)} models"
        self.window.status.showMessage(f"Deleted {what}; freed {formatting.size(freed)}", 5000)
        self.window.controller.refresh_local()

    def _cleaned(self, freed: int) -> None:
        self.window.status.showMessage(f"Cleaned up; freed {formatting.size(freed)}", 5000)
        self.window.controller.refresh_local()

    def _on_status(self, status: DownloadStatus | None) -> None:
        if status is not None and status.state is DownloadState.FAILED:
            self.window.status.showMessage(f"{status.repo_id}: {status.message}", 8000)
