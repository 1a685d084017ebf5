"""`FilterDialog`: every filter in one compact sheet — Architecture, Capabilities, Quantization, Parameters,
Minimum context, Other — with Apply (default), Reset and Cancel.

Wiring (the toolbar's "Filters (2) ▾" button):

    dialog = FilterDialog(state, index.family_counts(), parent=window,
                          count=lambda s: len(index.apply(s, search_text).rows),   # live "N models match"
                          facets=lambda s: index.faceted_family_counts(s, search_text),  # live family counts
                          scope=loaded_scope(50))                 # on the Hub: "… in the 50 loaded"
    dialog.applied.connect(set_filter)       # or: if dialog.exec() == QDialog.DialogCode.Accepted: dialog.state()
    dialog.open()                            # window-modal sheet on macOS

`state()` reads the controls at any time; Reset clears them to the empty filter without closing; Cancel
and Escape leave everything as it was; Enter applies. Families already in the state but absent from
`family_counts` are listed too (with 0), so a saved filter can always be unticked. With `facets`, each
family's count follows the other ticked sections (the list keeps its order, so nothing jumps under the
pointer); `scope` says what the counts cover when that is not everything (the Hub's pages loaded so far).
Keyboard: Tab moves section to section, arrow keys move within a radio group, Space ticks; group titles
carry mnemonics (Alt+letter where the platform shows them); the family list has a filter field when long.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from itertools import pairwise

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent, QPalette, QShowEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.core.filters import CONTEXT_OPTIONS, PARAM_BUCKETS, QUANT_LABELS, QUANT_OPTIONS, FilterState

FAMILY_ROLE = Qt.ItemDataRole.UserRole
FAMILY_FIELD_THRESHOLD = 8  # more families than this and a filter field appears above the list
_CAPABILITIES = (("any", "An&y"), ("text", "Te&xt only"), ("multimodal", "M&ultimodal"))
# Quantization laid out as people think of it: plain bit widths, then unquantized, then named methods.
_QUANT_GRID = (("2", "3", "4"), ("5", "6", "8"), ("unquantized",), ("mxfp4", "nvfp4", "gptq"), ("awq", "other"))


def context_label(tokens: int | None) -> str:
    return "Any" if not tokens else f"≥ {tokens // 1024}K"


def loaded_scope(loaded: int) -> str:
    """What the counts cover on the Hub view: only the results loaded so far, not the whole Hub."""
    return f"in the {loaded:,} loaded"


def match_text(n: int, scope: str | None = None) -> str:
    text = "1 model matches" if n == 1 else f"{n:,} models match"
    return f"{text} {scope}" if scope else text


class FilterDialog(QDialog):
    applied = Signal(FilterState)

    def __init__(self, state: FilterState, family_counts: Sequence[tuple[str, int]],
                 parent: QWidget | None = None, count: Callable[[FilterState], int] | None = None,
                 facets: Callable[[FilterState], Mapping[str, int]] | None = None,
                 scope: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Filters")
        self.setObjectName("filterDialog")
        self._initial = state
        self._count = count
        self._facets = facets
        self._facets_for: FilterState | None = None  # the other sections the family counts were made for
        self._scope = scope
        self._loading = False

        self._family_field = QLineEdit()
        self._families = QListWidget()
        self._capability = QButtonGroup(self)
        self._capability_buttons: dict[str, QRadioButton] = {}
        self._vision = QCheckBox("&Vision (images)")
        self._audio = QCheckBox("Au&dio")
        self._quant: dict[str, QCheckBox] = {}
        self._params: dict[str, QCheckBox] = {}
        self._context = QButtonGroup(self)
        self._context_buttons: dict[int, QRadioButton] = {}  # 0 = Any
        self._moe = QCheckBox("&MoE only (mixture of experts)")
        self._gated = QCheckBox("Hide &gated models")
        self._runs = QCheckBox("Runs with ml&x-lm")
        self._runs.setToolTip("The installed mlx-lm builds the model (text only for vision and audio models)")
        self._fits = QCheckBox("Fits in memor&y")
        self._fits.setToolTip("Weights, the KV cache at 8K tokens and mlx's own overhead fit the memory budget")
        self._match = QLabel()
        self._match.setObjectName("filterMatchCount")
        self._scope_note = QLabel(f"Counts {scope}" if scope else "")
        self._scope_note.setObjectName("filterScope")
        self._scope_note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._buttons = QDialogButtonBox()
        self._apply = QPushButton("Apply")
        self._reset = QPushButton("&Reset")

        self._build(family_counts, state)
        self._connect()
        self._set_controls(state)

    # --- public -------------------------------------------------------------------------------------

    def state(self) -> FilterState:
        families = frozenset(
            item.data(FAMILY_ROLE) for item in self._family_items() if item.checkState() == Qt.CheckState.Checked)
        checked = self._capability.checkedButton()
        capability = next((k for k, b in self._capability_buttons.items() if b is checked), "any")
        context_button = self._context.checkedButton()
        min_context = next((k for k, b in self._context_buttons.items() if b is context_button), 0)
        return FilterState(
            families=families, capability=capability,
            # Vision and audio mean multimodal: with "Text only" they are greyed out and do not count.
            vision=self._vision.isChecked() and capability != "text",
            audio=self._audio.isChecked() and capability != "text",
            quantization=frozenset(k for k, box in self._quant.items() if box.isChecked()),
            parameters=frozenset(k for k, box in self._params.items() if box.isChecked()),
            min_context=min_context or None, moe_only=self._moe.isChecked(), hide_gated=self._gated.isChecked(),
            runs_mlx_lm=self._runs.isChecked(), fits_memory=self._fits.isChecked(),
            extra=self._initial.extra,
        )

    def reset(self) -> None:
        """Clears every control to the empty filter; the dialog stays open (Cancel still undoes it)."""
        self._family_field.clear()
        self._set_controls(FilterState())

    def accept(self) -> None:
        self.applied.emit(self.state())
        super().accept()

    def match_text(self) -> str:
        return self._match.text()

    def family_texts(self) -> list[str]:
        """The family list as it reads, top to bottom ("Qwen (42)")."""
        return [item.text() for item in self._family_items()]

    # --- building -----------------------------------------------------------------------------------

    def _build(self, family_counts: Sequence[tuple[str, int]], state: FilterState) -> None:
        left = QVBoxLayout()
        left.addWidget(self._architecture_box(family_counts, state), 1)
        left.addWidget(self._capabilities_box())
        right = QVBoxLayout()
        right.addWidget(self._quantization_box())
        right.addWidget(self._parameters_box())
        right.addWidget(self._context_box(state))
        right.addWidget(self._other_box())
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.setSpacing(12)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)

        self._apply.setDefault(True)
        self._apply.setAutoDefault(True)
        self._reset.setAutoDefault(False)
        self._reset.setToolTip("Clear every filter in this dialog (Cancel still undoes it)")
        cancel = self._buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAutoDefault(False)
        self._buttons.addButton(self._reset, QDialogButtonBox.ButtonRole.ResetRole)
        self._buttons.addButton(self._apply, QDialogButtonBox.ButtonRole.AcceptRole)
        footer = QHBoxLayout()
        footer.addWidget(self._match, 1)
        footer.addWidget(self._buttons)

        outer = QVBoxLayout(self)
        outer.addLayout(columns, 1)
        outer.addLayout(footer)
        self._match.setVisible(self._count is not None)

    def _architecture_box(self, family_counts: Sequence[tuple[str, int]], state: FilterState) -> QGroupBox:
        box = QGroupBox("&Architecture")
        layout = QVBoxLayout(box)
        counts = list(family_counts)
        known = {name for name, _ in counts}
        counts += [(name, 0) for name in sorted(state.families - known)]  # saved but not seen now
        self._family_field.setPlaceholderText("Filter families")
        self._family_field.setClearButtonEnabled(True)
        self._family_field.setAccessibleName("Filter the family list")
        self._family_field.setVisible(len(counts) > FAMILY_FIELD_THRESHOLD)
        self._family_field.installEventFilter(self)
        layout.addWidget(self._family_field)
        self._families.setAccessibleName("Architecture families")
        self._families.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._families.setUniformItemSizes(True)
        for name, n in counts:
            item = QListWidgetItem(f"{name} ({n:,})")
            item.setData(FAMILY_ROLE, name)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsSelectable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self._families.addItem(item)
        layout.addWidget(self._families, 1)
        if self._scope:
            layout.addWidget(self._scope_note)
        if not counts:
            self._families.hide()
            layout.addWidget(QLabel("No families known yet."))
        rows = max(4, min(len(counts), 9))
        self._families.setMinimumHeight(self._families.sizeHintForRow(0) * rows + 2 * self._families.frameWidth()
                                        if counts else 0)
        return box

    def _capabilities_box(self) -> QGroupBox:
        box = QGroupBox("Capa&bilities")
        layout = QGridLayout(box)
        for column, (key, text) in enumerate(_CAPABILITIES):
            button = QRadioButton(text)
            self._capability.addButton(button)
            self._capability_buttons[key] = button
            layout.addWidget(button, 0, column)
        layout.addWidget(self._vision, 1, 0, 1, 2)
        layout.addWidget(self._audio, 1, 2)
        return box

    def _quantization_box(self) -> QGroupBox:
        box = QGroupBox("&Quantization")
        layout = QGridLayout(box)
        layout.setVerticalSpacing(4)
        for row, keys in enumerate(_QUANT_GRID):
            for column, key in enumerate(keys):
                check = QCheckBox(QUANT_LABELS[key])
                self._quant[key] = check
                span = 3 if len(keys) == 1 else 1
                layout.addWidget(check, row, column, 1, span)
        assert set(self._quant) == set(QUANT_OPTIONS), "the grid lists every quantization option"
        return box

    def _parameters_box(self) -> QGroupBox:
        box = QGroupBox("&Parameters")
        layout = QGridLayout(box)
        layout.setVerticalSpacing(4)
        for n, (label, _, _) in enumerate(PARAM_BUCKETS):
            check = QCheckBox(label)
            self._params[label] = check
            layout.addWidget(check, n // 3, n % 3)
        return box

    def _context_box(self, state: FilterState) -> QGroupBox:
        box = QGroupBox("Minimum con&text")
        layout = QHBoxLayout(box)
        options = [0, *CONTEXT_OPTIONS]
        if state.min_context and state.min_context not in options:
            options.append(state.min_context)  # a value saved elsewhere stays selectable as it is
        for tokens in options:
            button = QRadioButton(context_label(tokens))
            button.setAccessibleName("Any context" if not tokens else f"At least {tokens // 1024}K tokens")
            self._context.addButton(button)
            self._context_buttons[tokens] = button
            layout.addWidget(button)
        layout.addStretch(1)
        return box

    def _other_box(self) -> QGroupBox:
        box = QGroupBox("&Other")
        layout = QVBoxLayout(box)
        layout.addWidget(self._moe)
        layout.addWidget(self._gated)
        layout.addWidget(self._runs)
        layout.addWidget(self._fits)
        return box

    def _connect(self) -> None:
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)
        self._reset.clicked.connect(self.reset)
        self._family_field.textChanged.connect(self._filter_families)
        self._families.itemChanged.connect(self._changed)
        # A radio switch toggles two buttons; count once, on the one turned on.
        self._capability.buttonToggled.connect(self._radio_toggled)
        self._context.buttonToggled.connect(self._radio_toggled)
        for check in (self._vision, self._audio, self._moe, self._gated, self._runs, self._fits, *self._quant.values(),
                      *self._params.values()):
            check.toggled.connect(self._changed)
        # Reading order: family filter, families, capabilities, quantization, parameters, context, other, buttons.
        chain: list[QWidget] = [self._family_field, self._families, *self._capability_buttons.values(),
                                self._vision, self._audio, *self._quant.values(), *self._params.values(),
                                *self._context_buttons.values(), self._moe, self._gated, self._runs, self._fits]
        for before, after in pairwise(chain):
            QWidget.setTabOrder(before, after)

    # --- state <-> controls -------------------------------------------------------------------------

    def _set_controls(self, state: FilterState) -> None:
        self._loading = True
        try:
            for item in self._family_items():
                checked = item.data(FAMILY_ROLE) in state.families
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self._capability_buttons.get(state.capability, self._capability_buttons["any"]).setChecked(True)
            self._vision.setChecked(state.vision)
            self._audio.setChecked(state.audio)
            for key, check in self._quant.items():
                check.setChecked(key in state.quantization)
            for label, check in self._params.items():
                check.setChecked(label in state.parameters)
            self._context_buttons.get(state.min_context or 0, self._context_buttons[0]).setChecked(True)
            self._moe.setChecked(state.moe_only)
            self._gated.setChecked(state.hide_gated)
            self._runs.setChecked(state.runs_mlx_lm)
            self._fits.setChecked(state.fits_memory)
        finally:
            self._loading = False
        self._changed()

    def _family_items(self) -> list[QListWidgetItem]:
        return [self._families.item(i) for i in range(self._families.count())]

    def _filter_families(self, text: str) -> None:
        needle = text.strip().lower()
        for i, item in enumerate(self._family_items()):
            self._families.setRowHidden(i, bool(needle) and needle not in str(item.data(FAMILY_ROLE)).lower())

    def _radio_toggled(self, _button: QAbstractButton, on: bool) -> None:
        if on:
            self._changed()

    def _changed(self, *_args: object) -> None:
        text_only = self._capability_buttons["text"].isChecked()
        self._vision.setEnabled(not text_only)
        self._audio.setEnabled(not text_only)
        if not self._loading:
            state = self.state()
            self._update_count(state)
            self._update_family_counts(state)

    def _update_count(self, state: FilterState) -> None:
        if self._count is None:
            return
        self._match.setText(match_text(self._count(state), self._scope))

    def _update_family_counts(self, state: FilterState) -> None:
        others = replace(state, families=frozenset())
        if self._facets is None or others == self._facets_for:
            return  # ticking a family leaves every family count as it is
        self._facets_for = others
        counts = self._facets(state)
        self._families.blockSignals(True)  # a text change is not a tick
        try:
            for item in self._family_items():
                item.setText(f"{item.data(FAMILY_ROLE)} ({counts.get(item.data(FAMILY_ROLE), 0):,})")
        finally:
            self._families.blockSignals(False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Down from the family filter field goes into the list, to the first family still shown.
        if (watched is self._family_field and isinstance(event, QKeyEvent)
                and event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Down):
            for i in range(self._families.count()):
                if not self._families.isRowHidden(i):
                    self._families.setCurrentRow(i)
                    break
            self._families.setFocus(Qt.FocusReason.TabFocusReason)
            return True
        return super().eventFilter(watched, event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # After the last section come the buttons, left to right as this platform orders them.
        shown = sorted(self._buttons.buttons(), key=lambda b: b.mapTo(self, QPoint(0, 0)).x())
        for before, after in pairwise([self._fits, *shown]):
            QWidget.setTabOrder(before, after)

    def buttons(self) -> dict[str, QAbstractButton]:
        """The dialog's buttons by name ("apply", "reset", "cancel"), for tests and the lead's wiring."""
        cancel = self._buttons.button(QDialogButtonBox.StandardButton.Cancel)
        return {"apply": self._apply, "reset": self._reset, "cancel": cancel}
