"""`FilterChipsBar`: the active filters as removable chips ("Qwen ✕", "4-bit ✕", "Clear all") and the count.

Wiring (the window owns the state; the bar only shows it and asks for changes):

    bar = FilterChipsBar()
    bar.chip_removed.connect(lambda key: set_filter(state.without(key)))
    bar.clear_all.connect(lambda: set_filter(FilterState()))
    bar.set_state(state)                    # whenever the filter changes (also after the two signals above)
    model.count_changed.connect(bar.set_counts)   # set_counts(shown, total): "Showing 12 of 340 models"

A chip is a focusable button: Tab reaches it, and Delete, Backspace, Space or Return removes it (so does a
click). When the chip that had focus goes away, focus moves to its neighbour, so one can clear chips from
the keyboard one after another. With no filter the chips are hidden and only the count stays.
Everything is painted from the palette, so a dark window gets dark chips.
"""

from __future__ import annotations

from itertools import pairwise

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QEnterEvent, QKeyEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QAbstractButton, QHBoxLayout, QLabel, QSizePolicy, QWidget

from app.core.filters import FilterState
from app.ui.status import count_text

_CROSS = "✕"
_REMOVE_KEYS = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace, Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter)


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    return QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * t, a.greenF() + (b.greenF() - a.greenF()) * t,
                           a.blueF() + (b.blueF() - a.blueF()) * t, 1.0)


class FilterChip(QAbstractButton):
    """A rounded pill; removable chips end with ✕ and are removed by click or by key (see module doc)."""

    removed = Signal()

    def __init__(self, text: str, key: str = "", removable: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.removable = removable
        self._hover = False
        self.setText(text)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # macOS buttons skip Tab otherwise
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        if removable:
            self.setToolTip(f"Remove the filter “{text}” (Delete)")
            self.setAccessibleName(f"Remove filter {text}")
        else:
            self.setAccessibleName(text)
        self.clicked.connect(self.removed)

    def _label(self) -> str:
        return f"{self.text()}  {_CROSS}" if self.removable else self.text()

    def sizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        height = metrics.height() + 10
        return QSize(metrics.horizontalAdvance(self._label()) + 2 * 11, height)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in _REMOVE_KEYS and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            event.accept()
            self.removed.emit()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        # QAbstractButton clicks on Space release too; the press already removed the chip.
        if event.key() == Qt.Key.Key_Space:
            event.accept()
            return
        super().keyReleaseEvent(event)

    def enterEvent(self, event: QEnterEvent) -> None:
        self._hover = True
        self.update()
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self._hover = False
        self.update()
        super().leaveEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        highlight = palette.color(QPalette.ColorRole.Highlight)
        fill = _mix(base, text, 0.06 if self._hover or self.isDown() else 0.0)
        border = _mix(base, text, 0.22)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(1.5, 1.5, -1.5, -1.5)
        radius = rect.height() / 2
        painter.setPen(QPen(border, 1))
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, radius, radius)
        if self.hasFocus():
            ring = QColor(highlight)
            painter.setPen(QPen(ring, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), radius, radius)
        metrics = self.fontMetrics()
        x = rect.left() + (rect.width() - metrics.horizontalAdvance(self._label())) / 2
        baseline = rect.center().y() + (metrics.ascent() - metrics.descent()) / 2
        painter.setPen(text)
        painter.drawText(QPointF(x, baseline), self.text())
        if self.removable:
            # The cross is quieter than the label; it turns full strength on hover like a button would.
            painter.setPen(text if self._hover or self.hasFocus() else _mix(base, text, 0.6))
            painter.drawText(QPointF(x + metrics.horizontalAdvance(self.text() + "  "), baseline), _CROSS)
        painter.end()


class FilterChipsBar(QWidget):
    chip_removed = Signal(str)  # the chip's key, for FilterState.without(key)
    clear_all = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = FilterState()
        self._keys: list[tuple[str, str]] = []
        self._chips: list[FilterChip] = []
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self._chips_area = QWidget(self)
        self._chips_layout = QHBoxLayout(self._chips_area)
        self._chips_layout.setContentsMargins(0, 0, 0, 0)
        self._chips_layout.setSpacing(6)
        self._clear = FilterChip("Clear all", removable=False, parent=self._chips_area)
        self._clear.setToolTip("Remove every filter")
        self._clear.removed.connect(self.clear_all)
        self._chips_layout.addWidget(self._clear)
        self._chips_area.hide()
        self._count = QLabel(self)
        self._count.setObjectName("filterCount")
        self._count.setForegroundRole(QPalette.ColorRole.PlaceholderText)  # secondary text, theme-aware
        self._count.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self._chips_area)
        layout.addStretch(1)
        layout.addWidget(self._count)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    # --- public -------------------------------------------------------------------------------------

    def state(self) -> FilterState:
        return self._state

    def chips(self) -> list[FilterChip]:
        """The removable chips shown, in order (tests and accessibility tools look at these)."""
        return list(self._chips)

    def clear_button(self) -> FilterChip:
        return self._clear

    def count_label(self) -> QLabel:
        return self._count

    def set_counts(self, shown: int, total: int) -> None:
        self._count.setText(count_text(shown, total))

    def set_state(self, state: FilterState) -> None:
        self._state = state
        keys = state.chips()
        if keys == self._keys:
            return
        focused = next((i for i, chip in enumerate(self._chips) if chip.hasFocus()), None)
        clear_focused = self._clear.hasFocus()
        self._keys = keys
        for chip in self._chips:
            self._chips_layout.removeWidget(chip)
            chip.hide()
            chip.deleteLater()
        self._chips = []
        self._chips_area.setVisible(bool(keys))
        for n, (key, label) in enumerate(keys):
            chip = FilterChip(label, key, parent=self._chips_area)
            chip.removed.connect(lambda key=key: self.chip_removed.emit(key))
            self._chips_layout.insertWidget(n, chip)
            chip.show()  # now, not on the layout's deferred show: focus may have to land on it below
            self._chips.append(chip)
        for before, after in pairwise([*self._chips, self._clear]):
            QWidget.setTabOrder(before, after)
        if focused is not None or clear_focused:
            self._refocus(focused)

    # --- private ------------------------------------------------------------------------------------

    def _refocus(self, was: int | None) -> None:
        """Focus stays in the bar when the focused chip disappears: its neighbour takes it."""
        if self._chips:
            index = min(was if was is not None else len(self._chips) - 1, len(self._chips) - 1)
            self._chips[index].setFocus(Qt.FocusReason.OtherFocusReason)
        # With nothing left, Qt already moved focus on when the focused chip was hidden.
