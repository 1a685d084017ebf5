"""The card: paints one `ModelEntry` as a rounded card with avatar, name, stats, badges and specs.

Paint never does I/O and never waits: everything comes from the entry already in the model. One layout
computation (`card_layout`) serves `sizeHint`, `paint` and hit-testing: heights are cached per (id,
expanded, width bucket, font) for every row, full layouts for the few rows on screen; badge and avatar
pixmaps are cached per device pixel ratio and theme, so a repaint is mostly blits.

The delegate sets what the cards need on its view: mouse tracking and hover (cursor and hover state),
`ResizeMode.Adjust` (heights depend on the width) and the window colour behind the cards.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QHelpEvent, QMouseEvent, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
    QWidget,
)

from app.core.hub_address import DEFAULT_ENDPOINT
from app.core.model_entry import ModelEntry
from app.ui.badges import BadgePainter
from app.ui.card_layout import CardLayout, Font, Metrics, bucket, compute_layout, metrics_for, stats_tooltip
from app.ui.roles import ENTRY_ROLE, EXPANDED_ROLE, PENDING_ROLE
from app.ui.specs import paint_specs, spec_tooltip
from app.ui.theme import CardTheme, avatar_color, card_theme

if TYPE_CHECKING:
    from app.ui.download_progress import CardOverlay

_MAX_LAYOUTS = 512
_MAX_HEIGHTS = 200_000
_LEFT_VCENTER = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_RIGHT_VCENTER = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

Index = QModelIndex | QPersistentModelIndex


def _same_shape(a: ModelEntry, b: ModelEntry) -> bool:
    """Whether two versions of an entry make cards of the same height (sizes and stats landing do)."""
    return (bool(a.problem) == bool(b.problem) and a.characteristics == b.characteristics
            and a.provenance == b.provenance and a.config_status == b.config_status
            and a.config_error == b.config_error and a.gated == b.gated and a.is_mlx == b.is_mlx
            and a.source == b.source and a.runtime == b.runtime)


def paint_focus_ring(p: QPainter, layout: CardLayout, ox: int, oy: int, m: Metrics, theme: CardTheme) -> None:
    """Where the keyboard is: a ring just outside the current card while the list has focus (the view
    sets State_HasFocus then only), as macOS rings a focused control."""
    card = layout.card
    width = max(2.0, m.line / 6)
    p.save()
    try:
        p.setOpacity(1.0)  # a dimmed (pending) card still shows where the keyboard is
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(QPen(theme.focus_ring, width))
        p.setBrush(Qt.BrushStyle.NoBrush)
        grow = width / 2 + 0.5
        p.drawRoundedRect(QRectF(ox + card.x - grow + 0.5, oy + card.y - grow + 0.5, card.w + 2 * grow - 1,
                                 card.h + 2 * grow - 1), m.radius + grow, m.radius + grow)
    finally:
        p.restore()


class CardDelegate(QStyledItemDelegate):
    specs_toggled = Signal(str)  # repo id, after "Show specs"/"Hide specs" was clicked
    link_activated = Signal(str)  # a URL to open (a gated badge: the model page)

    def __init__(self, view: QAbstractItemView, hub_url: str = DEFAULT_ENDPOINT) -> None:
        super().__init__(view)
        self._view = view
        self.hub_url = hub_url.rstrip("/")
        # Full layouts only for the few cards being painted or pointed at; heights for every row (an int
        # each, so thousands of rows add little for the garbage collector to walk).
        self._layouts: OrderedDict[tuple[str, bool, int, str], CardLayout] = OrderedDict()
        self._heights: dict[tuple[str, bool, int, str], tuple[ModelEntry, int]] = {}
        self._elided: dict[tuple[str, int, int, str], str] = {}
        self._avatars: dict[tuple[str, int, int, float, str], QPixmap] = {}
        self._badges = BadgePainter()
        # Painted over each card after it is drawn (download progress: app/ui/download_progress.py).
        self.overlay: CardOverlay | None = None
        self._model: QAbstractItemModel | None = None
        self._metrics: Metrics | None = None
        view.installEventFilter(self)
        # Hover feedback needs move events; heights change with width, so relayout on resize.
        view.setMouseTracking(True)
        view.viewport().setAttribute(Qt.WidgetAttribute.WA_Hover, True)
        if isinstance(view, QListView):
            view.setResizeMode(QListView.ResizeMode.Adjust)
        # Cards lift off the window colour, as on macOS, rather than sitting on the white base.
        view.viewport().setBackgroundRole(QPalette.ColorRole.Window)
        view.viewport().setAutoFillBackground(True)
        self._watch(view.model())

    # --- layout and caches --------------------------------------------------------------------------

    def _watch(self, model: QAbstractItemModel | None) -> None:
        if model is None or model is self._model:
            return
        if self._model is not None:
            self._model.dataChanged.disconnect(self._on_data_changed)
            self._model.modelReset.disconnect(self._forget_rows)
        self._model = model
        model.dataChanged.connect(self._on_data_changed)
        model.modelReset.connect(self._forget_rows)

    def _forget_rows(self) -> None:
        self._layouts.clear()
        self._heights.clear()

    def _entry(self, index: Index) -> tuple[ModelEntry | None, bool]:
        model = index.model()
        # The list model answers directly in Python; any other model goes through data().
        entry_at = getattr(model, "entry_at", None)
        if entry_at is not None:
            entry = entry_at(index.row())
            return entry, bool(entry is not None and model.is_expanded(entry.id))  # type: ignore[attr-defined]
        entry = index.data(ENTRY_ROLE)
        return (entry if isinstance(entry, ModelEntry) else None), bool(index.data(EXPANDED_ROLE))

    def metrics(self) -> Metrics:
        """Fonts and spacings for the view's font (cached; dropped when the font changes)."""
        if self._metrics is None:
            self._metrics = metrics_for(self._view.font())
        return self._metrics

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # getattr: Qt may deliver events while the Python side is still being built or torn down.
        view = getattr(self, "_view", None)
        if view is None or watched is not view:
            return False
        kind = event.type()
        if kind in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._metrics = None  # the view lays its rows out again itself and asks for new heights
            self._forget_rows()
        elif kind == QEvent.Type.PaletteChange:
            self._badges.clear()  # keyed by theme, so only to free the old theme's pixmaps
        return False

    def layout_for(self, entry: ModelEntry, expanded: bool, width: int, m: Metrics | None = None) -> CardLayout:
        m = m or self.metrics()
        key = (entry.id, expanded, width, m.key)
        found = self._layouts.get(key)
        if found is not None and found.entry is entry:
            self._layouts.move_to_end(key)
            return found
        layout = self._layouts[key] = compute_layout(entry, width, expanded, m)
        if len(self._layouts) > _MAX_LAYOUTS:
            self._layouts.popitem(last=False)
        return layout

    def height_for(self, entry: ModelEntry, expanded: bool, width: int, m: Metrics | None = None) -> int:
        """The card's height at `width` (a bucket width), computed once per entry version."""
        m = m or self.metrics()
        key = (entry.id, expanded, width, m.key)
        found = self._heights.get(key)
        if found is not None and (found[0] is entry or _same_shape(found[0], entry)):
            if found[0] is not entry:
                self._heights[key] = (entry, found[1])
            return found[1]
        height = compute_layout(entry, width, expanded, m).height
        if len(self._heights) >= _MAX_HEIGHTS:
            self._heights.clear()
        self._heights[key] = (entry, height)
        return height

    def _layout_at(self, index: Index, width: int) -> CardLayout | None:
        entry, expanded = self._entry(index)
        if entry is None:
            return None
        return self.layout_for(entry, expanded, width)

    def _width(self) -> int:
        spacing = self._view.spacing() if isinstance(self._view, QListView) else 0
        return max(self._view.viewport().width() - 2 * spacing, 200)

    def _on_data_changed(self, top_left: QModelIndex, bottom_right: QModelIndex, roles: list[int]) -> None:
        if roles and ENTRY_ROLE not in roles and EXPANDED_ROLE not in roles:
            return
        width, m = bucket(self._width()), self.metrics()
        for row in range(top_left.row(), bottom_right.row() + 1):
            index = top_left.siblingAtRow(row)
            entry, expanded = self._entry(index)
            if entry is None:
                continue
            old = self._heights.get((entry.id, expanded, width, m.key))
            # Only a height change needs the view to lay rows out again.
            if old is None or old[1] != self.height_for(entry, expanded, width, m):
                self.sizeHintChanged.emit(index)

    # --- QStyledItemDelegate ------------------------------------------------------------------------

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        self._watch(index.model())
        # Heights are the same across a width bucket: one computation per row per bucket, not per pixel.
        entry, expanded = self._entry(index)
        m = self.metrics()
        if entry is None:
            return QSize(200, m.line * 4)
        # A narrow width: ListMode stretches each row to the viewport, so no horizontal scroll bar appears.
        return QSize(200, self.height_for(entry, expanded, bucket(self._width()), m))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        self._watch(index.model())
        entry, expanded = self._entry(index)
        rect: QRect = option.rect
        if entry is None:
            return
        m = self.metrics()
        layout = self.layout_for(entry, expanded, rect.width(), m)
        theme = card_theme(option.palette)
        dpr = painter.device().devicePixelRatioF()
        state = option.state
        painter.save()
        try:
            pending = getattr(index.model(), "is_pending", None)
            if pending(entry.id) if pending is not None else index.data(PENDING_ROLE):
                painter.setOpacity(0.5)
            self._paint_card(painter, layout, rect.x(), rect.y(), m, theme, dpr,
                             bool(state & QStyle.StateFlag.State_Selected),
                             bool(state & QStyle.StateFlag.State_MouseOver))
            if state & QStyle.StateFlag.State_HasFocus:
                paint_focus_ring(painter, layout, rect.x(), rect.y(), m, theme)
            if self.overlay is not None:
                self.overlay.paint(painter, layout, rect.x(), rect.y(), m, theme)
        finally:
            painter.restore()

    def _paint_card(self, p: QPainter, layout: CardLayout, ox: int, oy: int, m: Metrics, theme: CardTheme,
                    dpr: float, selected: bool, hover: bool) -> None:
        entry = layout.entry
        card = layout.card
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        fill = theme.card_selected if selected else theme.card_hover if hover else theme.card
        border = theme.border_selected if selected else theme.border_hover if hover else theme.border
        p.setPen(QPen(border, 1.5 if selected else 1.0))
        p.setBrush(fill)
        p.drawRoundedRect(QRectF(ox + card.x + 0.5, oy + card.y + 0.5, card.w - 1, card.h - 1), m.radius, m.radius)

        av = layout.avatar
        p.drawPixmap(ox + av.x, oy + av.y, self._avatar(entry.author or entry.name, av.w, m, dpr))

        name = layout.name
        p.setFont(m.name_font)
        p.setPen(theme.text)
        p.drawText(QRect(ox + name.x, oy + name.y, name.w, name.h), _LEFT_VCENTER,
                   self._elide(entry.name, name.w, Font.NAME, Qt.TextElideMode.ElideMiddle, m))

        sub = layout.sub
        p.setFont(m.font)
        p.setPen(theme.secondary)
        p.drawText(QRect(ox + sub.x, oy + sub.y, sub.w, sub.h), _LEFT_VCENTER,
                   self._elide(layout.stats, sub.w, Font.NORMAL, Qt.TextElideMode.ElideRight, m))
        if layout.problem is not None and entry.problem:
            pr = layout.problem
            p.setPen(theme.warning)
            p.drawText(QRect(ox + pr.x, oy + pr.y, pr.w, pr.h), _LEFT_VCENTER,
                       self._elide("⚠ " + entry.problem, pr.w, Font.NORMAL, Qt.TextElideMode.ElideRight, m))

        tg = layout.toggle
        p.setPen(theme.link if hover else theme.secondary)
        p.drawText(QRect(ox + tg.x, oy + tg.y, tg.w, tg.h), _RIGHT_VCENTER, layout.toggle_text)

        for badge, r in layout.badges:
            self._badges.paint(p, badge, r._replace(x=ox + r.x, y=oy + r.y), m, theme, dpr)
        paint_specs(p, layout, ox, oy, m, theme)

    def _elide(self, text: str, width: int, which: Font, mode: Qt.TextElideMode, m: Metrics) -> str:
        if m.width(which, text) <= width:
            return text
        key = (text, width, which, m.key)
        found = self._elided.get(key)
        if found is None:
            found = m.fm_for(which).elidedText(text, mode, width)
            if len(self._elided) > 20_000:
                self._elided.clear()
            self._elided[key] = found
        return found

    def _avatar(self, publisher: str, size: int, m: Metrics, dpr: float) -> QPixmap:
        initial = (publisher[:1] or "?").upper()
        color = avatar_color(publisher)
        key = (initial, color.rgba(), size, dpr, m.key)
        found = self._avatars.get(key)
        if found is not None:
            return found
        pixmap = QPixmap(round(size * dpr), round(size * dpr))
        pixmap.setDevicePixelRatio(dpr)
        pixmap.fill(Qt.GlobalColor.transparent)
        p = QPainter(pixmap)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(color)
            p.drawRoundedRect(QRectF(0, 0, size, size), size * 0.22, size * 0.22)
            font = QFont(m.bold_font)
            font.setPixelSize(max(8, round(size * 0.46)))
            p.setFont(font)
            p.setPen(Qt.GlobalColor.white)
            p.drawText(QRect(0, 0, size, size), int(Qt.AlignmentFlag.AlignCenter), initial)
        finally:
            p.end()
        self._avatars[key] = pixmap
        return pixmap

    def _visual_rect(self, index: Index) -> QRect:
        if isinstance(index, QPersistentModelIndex):
            index = self._view.model().index(index.row(), index.column())
        return self._view.visualRect(index)

    def layout_at(self, index: Index) -> CardLayout | None:
        """The geometry of the card at `index` at its current width (item coordinates)."""
        return self._layout_at(index, self._visual_rect(index).width())

    # --- interaction --------------------------------------------------------------------------------

    def hit(self, index: Index, pos: QPoint) -> tuple[str, object]:
        """What is under `pos` (viewport coordinates) on the card at `index`."""
        rect = self._visual_rect(index)
        layout = self._layout_at(index, rect.width())
        if layout is None or not rect.contains(pos):
            return ("none", None)
        return layout.hit(pos.x() - rect.x(), pos.y() - rect.y())

    def tooltip_at(self, index: Index, pos: QPoint) -> str | None:
        """The tooltip for a point on a card (viewport coordinates), or None for the card's own summary."""
        what, value = self.hit(index, pos)
        if what == "badge":
            return value.tooltip  # type: ignore[attr-defined, no-any-return]
        if what == "spec":
            return spec_tooltip(value)  # type: ignore[arg-type]
        if what == "toggle":
            _, expanded = self._entry(index)
            return "Hide the specs" if expanded else "Show every spec, with where each value came from"
        if what == "name":
            return str(value)
        if what == "problem":
            return str(value)
        if what == "stats":
            return stats_tooltip(value)  # type: ignore[arg-type]
        return None

    def helpEvent(self, event: QHelpEvent, view: QAbstractItemView, option: QStyleOptionViewItem,
                  index: Index) -> bool:
        if event is None or event.type() != QEvent.Type.ToolTip or not index.isValid():
            return super().helpEvent(event, view, option, index)
        text = self.tooltip_at(index, event.pos())
        if text is None:
            return super().helpEvent(event, view, option, index)
        QToolTip.showText(event.globalPos(), text, view.viewport() if view is not None else None)
        return True

    def editorEvent(self, event: QEvent, model: QAbstractItemModel, option: QStyleOptionViewItem,
                    index: Index) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.MouseButtonRelease, QEvent.Type.MouseMove):
            return super().editorEvent(event, model, option, index)
        assert isinstance(event, QMouseEvent)
        what, value = self.hit(index, event.position().toPoint())
        clickable = what == "toggle" or (what == "badge" and getattr(value, "link", False))
        viewport: QWidget = self._view.viewport()
        if kind == QEvent.Type.MouseMove:
            if clickable:
                viewport.setCursor(Qt.CursorShape.PointingHandCursor)
            else:
                viewport.unsetCursor()
            return False
        if event.button() != Qt.MouseButton.LeftButton or not clickable:
            return False
        entry, _ = self._entry(index)
        if entry is None:
            return False
        if what == "toggle":
            toggle = getattr(model, "toggle_expanded", None)
            if toggle is not None:
                toggle(index.row())
            self.specs_toggled.emit(entry.id)
            return True
        self.link_activated.emit(f"{self.hub_url}/{entry.id}")
        return True
