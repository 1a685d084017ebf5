"""The row above the list: the My Models | Hugging Face segmented toggle, the search field, the filter button,
the sort menu."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from app.core.sorting import HUB_SORTS, LABELS, LOCAL_SORTS, is_server_order

SEARCH_DEBOUNCE_MS = 300

SORT_LABELS: dict[str, str] = {str(key): label for key, label in LABELS.items()}
LOCAL_SORT_KEYS: tuple[str, ...] = LOCAL_SORTS
HUB_SORT_KEYS: tuple[str, ...] = HUB_SORTS

# A segmented control from two checkable buttons: rounded only at the outer ends, the checked one filled
# with the palette's highlight so dark mode follows; keyboard focus thickens the edge (text-coloured
# around the filled one, where the accent would not show).
_SEGMENT_STYLE = """
QPushButton {{ border: 1px solid palette(mid); padding: 5px 12px; font-weight: 600;
    background: palette(base); color: palette(text); }}
QPushButton:checked {{ background: palette(highlight); color: palette(highlighted-text);
    border-color: palette(highlight); }}
QPushButton#{left} {{ border-top-left-radius: 7px; border-bottom-left-radius: 7px; border-right: none; }}
QPushButton#{right} {{ border-top-right-radius: 7px; border-bottom-right-radius: 7px; }}
QPushButton:focus {{ border-width: 2px; border-color: palette(highlight); padding: 4px 11px; }}
QPushButton:checked:focus {{ border-color: palette(text); }}
"""


class Toolbar(QWidget):
    view_changed = Signal(str)  # "my" | "hub"
    text_changed = Signal(str)  # every keystroke (local filtering is instant)
    search_requested = Signal(str)  # debounced: the Hub search to run
    sort_changed = Signal(str)
    reverse_changed = Signal(bool)  # "Reverse Order" in the sort menu (the orders done here, not the Hub's)
    filters_requested = Signal()  # the "Filters" button: open the filter dialog

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 6)
        layout.setSpacing(10)

        self.my_button = QPushButton("My Models", self)
        self.hub_button = QPushButton("Hugging Face", self)
        self.my_button.setObjectName("segmentMy")
        self.hub_button.setObjectName("segmentHub")
        self.view_group = QButtonGroup(self)
        self.view_group.setExclusive(True)
        for button in (self.my_button, self.hub_button):
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            self.view_group.addButton(button)
        self.my_button.setToolTip("Models in your Hugging Face cache (⌘1)")
        self.hub_button.setToolTip("Search MLX models on the Hugging Face Hub (⌘2)")
        self.my_button.setChecked(True)
        segment = QWidget(self)
        segment.setStyleSheet(_SEGMENT_STYLE.format(left="segmentMy", right="segmentHub"))
        seg_layout = QHBoxLayout(segment)
        seg_layout.setContentsMargins(0, 0, 0, 0)
        seg_layout.setSpacing(0)
        seg_layout.addWidget(self.my_button)
        seg_layout.addWidget(self.hub_button)
        # In a narrow window the search field gives way, never the view switch's words.
        fixed = QSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        for widget in (segment, self.my_button, self.hub_button):
            widget.setSizePolicy(fixed)
        layout.addWidget(segment)

        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search models  (⌘F)")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(90)
        layout.addWidget(self.search, 1)

        self.filter_button = QToolButton(self)
        self.filter_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.filter_button.setAutoRaise(True)
        self.filter_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.filter_button.setToolTip("Filter by architecture, capability, quantization, size… (⇧⌘F)")
        self.filter_button.clicked.connect(self.filters_requested)
        layout.addWidget(self.filter_button)
        self.set_filter_count(0)

        self.sort_button = QToolButton(self)
        self.sort_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.sort_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.sort_button.setAutoRaise(True)
        self.sort_button.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0px; }")
        self.sort_menu = QMenu(self.sort_button)
        self.sort_button.setMenu(self.sort_menu)
        self._sort_group = QActionGroup(self)
        self._sort_group.setExclusive(True)
        self.sort_actions: dict[str, QAction] = {}
        self._sort = "name"
        self._reverse = False
        layout.addWidget(self.sort_button)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._emit_search)
        self._texts = {"my": "", "hub": ""}
        self._view = "my"

        self.view_group.buttonClicked.connect(self._on_view_button)
        self.search.textEdited.connect(self._on_text)
        self.search.textChanged.connect(self._on_text_changed)
        self.search.returnPressed.connect(self._search_now)
        # Escape empties the field, as a Mac search field does.
        clear = QAction(self.search)
        clear.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        clear.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        clear.triggered.connect(self._clear_search)
        self.search.addAction(clear)
        self.set_sort_keys(LOCAL_SORT_KEYS, "name")

    # --- view toggle ---

    @property
    def view(self) -> str:
        return self._view

    def set_view(self, view: str) -> None:
        """Switch the toggle (and the search text: each view keeps its own) without re-emitting."""
        if view == self._view:
            (self.my_button if view == "my" else self.hub_button).setChecked(True)
            return
        self._texts[self._view] = self.search.text()
        self._view = view
        (self.my_button if view == "my" else self.hub_button).setChecked(True)
        self._debounce.stop()
        self.search.blockSignals(True)
        self.search.setText(self._texts[view])
        self.search.blockSignals(False)
        self.view_changed.emit(view)

    def _on_view_button(self, button: QPushButton) -> None:
        self.set_view("my" if button is self.my_button else "hub")

    # --- search ---

    def _on_text(self, text: str) -> None:
        if self._view == "hub" and text:
            self._debounce.start()  # restarts: only a pause in typing searches

    def _on_text_changed(self, text: str) -> None:
        self._texts[self._view] = text
        self.text_changed.emit(text)
        if self._view == "hub" and not text:
            self._search_now()  # the clear button: back to the unfiltered listing at once

    def _search_now(self) -> None:
        if self._view == "hub":
            self._debounce.stop()
            self._emit_search()

    def _emit_search(self) -> None:
        self.search_requested.emit(self.search.text().strip())

    def _clear_search(self) -> None:
        self.search.clear()  # textChanged: the list follows at once

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    # --- filters ---

    def set_filter_count(self, count: int) -> None:
        """How many filter conditions are on: "Filters (2) ▾", or plain "Filters ▾"."""
        self.filter_button.setText(f"Filters ({count}) ▾" if count else "Filters ▾")
        self.filter_button.setAccessibleName(f"Filters, {count} active" if count else "Filters")

    # --- sort ---

    def set_sort_keys(self, keys: tuple[str, ...], current: str) -> None:
        self.sort_menu.clear()
        for action in self._sort_group.actions():
            self._sort_group.removeAction(action)
        self.sort_actions = {}
        for key in keys:
            action = QAction(SORT_LABELS.get(key, key), self.sort_menu)
            action.setCheckable(True)
            action.setData(key)
            action.triggered.connect(lambda _checked=False, k=key: self._choose_sort(k))
            self._sort_group.addAction(action)
            self.sort_menu.addAction(action)
            self.sort_actions[key] = action
        self.sort_menu.addSeparator()
        reverse = QAction("Reverse Order", self.sort_menu)
        reverse.setCheckable(True)
        reverse.setChecked(self._reverse)
        reverse.toggled.connect(self._choose_reverse)
        self.sort_menu.addAction(reverse)
        self.reverse_action = reverse
        self._show_sort(current if current in keys else keys[0])

    def set_reverse(self, reverse: bool) -> None:
        self._reverse = reverse
        self.reverse_action.blockSignals(True)
        self.reverse_action.setChecked(reverse)
        self.reverse_action.blockSignals(False)
        self._show_sort(self._sort)

    @property
    def reverse(self) -> bool:
        return self._reverse and not is_server_order(self._sort)

    def _choose_reverse(self, reverse: bool) -> None:
        self._reverse = reverse
        self._show_sort(self._sort)
        self.reverse_changed.emit(self.reverse)

    def _show_sort(self, key: str) -> None:
        if key in self.sort_actions:
            self.sort_actions[key].setChecked(True)
        server = is_server_order(key)
        # The Hub's own orders cannot be turned around here: only its first results are loaded.
        self.reverse_action.setEnabled(not server)
        self.reverse_action.setToolTip("The Hub decides this order" if server else "")
        arrow = " ↑" if self._reverse and not server else ""
        self.sort_button.setText(f"Sort: {SORT_LABELS.get(key, key)}{arrow} ▾")
        self._sort = key

    @property
    def sort(self) -> str:
        return self._sort

    def _choose_sort(self, key: str) -> None:
        changed = key != self._sort
        self._show_sort(key)
        if changed:
            self.sort_changed.emit(key)
