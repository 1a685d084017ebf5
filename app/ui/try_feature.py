"""Try wired into the main window, kept here so the window needs only a few lines: `TryFeature(window)` at
the end of its construction, `add_to_menu` in its context menu, `await aclose()` when it closes.

My Models cards get "Try…" (context menu, ⌘T): the Try panel of that model (app/ui/try_panel.py). A model
the fit verdict calls too large asks first; one mlx-lm cannot run says why before any process starts; a
model without weights offers the download (through the window's downloads when it has them).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QListView, QMenu

from app.core.model_entry import ModelEntry, Source
from app.core.try_advice import cannot_run_reason, too_large_warning
from app.services.mlx_runner import MlxRunner
from app.ui.roles import ENTRY_ROLE
from app.ui.try_panel import TryPanel, TryPanels


class TryFeature(QObject):
    def __init__(self, window: Any, *, panels: TryPanels | None = None) -> None:
        super().__init__(window)
        self.window = window
        # The same cache the window lists (None: the environment's, read when a model is tried).
        self.panels = panels or TryPanels(window, runner=MlxRunner(cache_dir=window.controller.cache_dir))
        self.panels.download_requested.connect(self._download)
        self.action = QAction("Try…", window)
        self.action.setShortcut(QKeySequence("Ctrl+T"))
        self.action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.action.triggered.connect(lambda _checked=False: self.try_selected())
        window.local_view.addAction(self.action)

    @staticmethod
    def can_try(entry: ModelEntry) -> bool:
        """Only models on disk: trying never downloads."""
        return entry.source in (Source.LOCAL, Source.BOTH)

    def add_to_menu(self, menu: QMenu, view: QListView, entry: ModelEntry) -> None:
        """Try… for a card of My Models, added where the window calls this (after Show Specs)."""
        if view is self.window.local_view and self.can_try(entry):
            menu.addAction(self.action)

    def try_selected(self) -> TryPanel | None:
        index = self.window.local_view.currentIndex()
        entry = index.data(ENTRY_ROLE) if index.isValid() else None
        if not isinstance(entry, ModelEntry) or not self.can_try(entry):
            return None
        return self.open(entry)

    def open(self, entry: ModelEntry) -> TryPanel:
        panel = self.panels.open(entry.id, too_large=too_large_warning(entry))
        reason = cannot_run_reason(entry)
        if reason is not None and not panel.running and panel.figures is None:
            panel.status.setText(reason)
        return panel

    def _download(self, repo_id: str) -> None:
        downloads = getattr(self.window, "downloads", None)
        if downloads is not None and hasattr(downloads, "download"):
            downloads.download(repo_id)
        else:
            self.window.status.showMessage(f"To download it: mlx-manager download {repo_id}", 8000)

    async def aclose(self) -> None:
        await self.panels.aclose()
