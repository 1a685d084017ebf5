"""The list of cards: a `QListView` that owns its setup, its keys, its context menu and what is on screen.

It tells the rest of the app which ids are on screen (plus the next screenful, nearest first) through
`visible_changed`, and only when that set changes: after a scroll, a resize, a reset, rows coming or
going, a filter, or any re-layout (a card opening its specs or its badges wrapping). The set is worked out
one loop turn after the change, so a burst of changes costs one computation and nothing here ever runs
inside a model's own signal.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QEvent, QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QPaintEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from app.ui.roles import ENTRY_ROLE

_SPECS_KEYS = (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter)
_PLAIN = (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)


class CardListView(QListView):
    visible_changed = Signal(list, list)  # ids on screen in order; the next screenful, nearest first
    specs_requested = Signal(QModelIndex)  # Space, Return or a double-click on a card
    context_requested = Signal(QModelIndex, QPoint)  # a card, and where to pop the menu (global)
    painted = Signal()  # the cards on screen were just painted (the startup measurement waits for it)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # First: setting the view up already re-lays it out (updateGeometries).
        self._last: tuple[tuple[str, ...], tuple[str, ...]] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._recompute)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(24)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setUniformItemSizes(False)
        self.setFrameShape(QListView.Shape.NoFrame)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)
        self.doubleClicked.connect(self.specs_requested)
        self.verticalScrollBar().valueChanged.connect(self.schedule_visible)

    # --- what is on screen ----------------------------------------------------------------------------

    def schedule_visible(self, *_args: object) -> None:
        if not self._timer.isActive():
            self._timer.start()

    @property
    def visibility_pending(self) -> bool:
        """A change is waiting to be looked at (the next loop turn)."""
        return self._timer.isActive()

    def visible_rows(self) -> tuple[int, int] | None:
        model = self.model()
        if model is None or model.rowCount() == 0:
            return None
        viewport = self.viewport()
        top = self.indexAt(QPoint(viewport.width() // 2, 1))
        bottom = self.indexAt(QPoint(viewport.width() // 2, viewport.height() - 2))
        first = top.row() if top.isValid() else 0
        last = bottom.row() if bottom.isValid() else model.rowCount() - 1
        return first, max(first, last)

    def visible_ids(self) -> tuple[list[str], list[str]]:
        """The ids on screen, and the next screenful after them."""
        rows = self.visible_rows()
        model = self.model()
        if rows is None or model is None:
            return [], []
        first, last = rows
        count = model.rowCount()
        ahead_last = min(count - 1, last + (last - first + 1))
        return self._ids(first, last), self._ids(last + 1, ahead_last)

    def _ids(self, first: int, last: int) -> list[str]:
        model = self.model()
        ids: list[str] = []
        for row in range(first, last + 1):
            entry = model.index(row, 0).data(ENTRY_ROLE)
            repo_id = getattr(entry, "id", None)
            if isinstance(repo_id, str):
                ids.append(repo_id)
        return ids

    def _recompute(self) -> None:
        if not self.isVisible():
            return  # worked out again when shown
        ids, ahead = self.visible_ids()
        current = (tuple(ids), tuple(ahead))
        if current != self._last:
            self._last = current
            self.visible_changed.emit(ids, ahead)

    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        m = self.model()
        if m is not None:
            for signal in (m.rowsInserted, m.rowsRemoved, m.modelReset, m.layoutChanged):
                signal.connect(self.schedule_visible)

    # Every re-layout (new rows, a card growing or shrinking) ends here.
    def updateGeometries(self) -> None:
        super().updateGeometries()
        self.schedule_visible()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.schedule_visible()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.schedule_visible()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        self.painted.emit()

    # --- keys and menus -------------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        # Space and Return belong to the list (open the specs), not to a window-wide shortcut.
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
                and event.key() in _SPECS_KEYS and event.modifiers() in _PLAIN):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in _SPECS_KEYS and event.modifiers() in _PLAIN:
            index = self.currentIndex()
            if index.isValid():
                self.specs_requested.emit(index)
            event.accept()
            return
        super().keyPressEvent(event)

    def _context_menu(self, pos: QPoint) -> None:
        index = self.indexAt(pos)
        if index.isValid():
            self.setCurrentIndex(index)
            self.context_requested.emit(index, self.viewport().mapToGlobal(pos))
