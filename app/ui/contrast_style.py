"""Fusion with edges that can be seen: unchecked boxes and radio buttons, text fields, scroll bar handles.

Fusion draws those edges as the window colour a shade darker: fine on a light window, nearly invisible on
a dark one, and its scroll bar handle is near white on a white list. `ContrastStyle` paints over just
those parts with colours taken from the palette (`theme.control_outline`, `theme.scrollbar_handle`), so
light and dark both read, and any palette the user's system brings too. The native macOS style draws its
own controls well: `install_contrast_style` leaves every style but Fusion alone.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import (
    QApplication,
    QProxyStyle,
    QStyle,
    QStyleFactory,
    QStyleOption,
    QStyleOptionComplex,
    QStyleOptionSlider,
    QWidget,
)

from app.ui.theme import control_outline, focus_ring, scrollbar_handle

_PE = QStyle.PrimitiveElement
_S = QStyle.StateFlag


class ContrastStyle(QProxyStyle):
    def drawPrimitive(self, element: _PE, option: QStyleOption, painter: QPainter,
                      widget: QWidget | None = None) -> None:
        if element == _PE.PE_FrameLineEdit and not option.state & _S.State_HasFocus:
            self._outline(painter, option, radius=2.0)  # focused: Fusion's accent edge is already clear
            return
        super().drawPrimitive(element, option, painter, widget)
        if element == _PE.PE_IndicatorCheckBox:
            self._outline(painter, option, radius=1.5)
        elif element == _PE.PE_IndicatorRadioButton:
            self._outline(painter, option, radius=None)

    def drawComplexControl(self, control: QStyle.ComplexControl, option: QStyleOptionComplex, painter: QPainter,
                           widget: QWidget | None = None) -> None:
        super().drawComplexControl(control, option, painter, widget)
        if control == QStyle.ComplexControl.CC_ScrollBar and isinstance(option, QStyleOptionSlider):
            self._handle(painter, option, widget)

    @staticmethod
    def _outline(painter: QPainter, option: QStyleOption, radius: float | None) -> None:
        enabled = bool(option.state & _S.State_Enabled)
        focused = bool(option.state & _S.State_HasFocus)
        color = focus_ring(option.palette) if focused and enabled else control_outline(option.palette, enabled)
        painter.save()
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(QPen(color, 1.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            rect = QRectF(option.rect).adjusted(0.5, 0.5, -0.5, -0.5)
            if radius is None:
                painter.drawEllipse(rect.adjusted(0.5, 0.5, -0.5, -0.5))
            else:
                painter.drawRoundedRect(rect, radius, radius)
        finally:
            painter.restore()

    def _handle(self, painter: QPainter, option: QStyleOptionSlider, widget: QWidget | None) -> None:
        cc, sc = QStyle.ComplexControl.CC_ScrollBar, QStyle.SubControl.SC_ScrollBarSlider
        rect = self.subControlRect(cc, option, sc, widget)  # type: ignore[arg-type]  # None is fine to Qt
        if rect.isEmpty() or option.minimum == option.maximum:
            return
        active = bool(option.activeSubControls & QStyle.SubControl.SC_ScrollBarSlider) and bool(
            option.state & (_S.State_MouseOver | _S.State_Sunken))
        horizontal = option.orientation == Qt.Orientation.Horizontal
        area = QRectF(rect).adjusted(0, 2, 0, -2) if horizontal else QRectF(rect).adjusted(2, 0, -2, 0)
        radius = min(area.width(), area.height()) / 2
        painter.save()
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            # Cover Fusion's own near-white handle with the groove's colour, then draw ours on it.
            painter.fillRect(rect, option.palette.color(option.palette.ColorRole.Window))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(scrollbar_handle(option.palette, active))
            painter.drawRoundedRect(area, radius, radius)
        finally:
            painter.restore()


def install_contrast_style(app: QApplication) -> bool:
    """Wraps the application's style when it is Fusion (our dark theme, Linux); True when it did."""
    current = app.style()
    if isinstance(current, ContrastStyle):
        return True
    if current.name().lower() != "fusion":
        return False
    base = QStyleFactory.create("Fusion")
    if base is None:
        return False
    app.setStyle(ContrastStyle(base))
    return True
