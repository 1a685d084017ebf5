"""The Preferences window: every change applies at once and is kept (no OK button, as on macOS).

Token status and the store's size are read on worker threads (huggingface_hub's import, file sizes);
the token is never shown whole and never logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from app.core import formatting
from app.core.hub_scope import LABELS as SCOPE_LABELS
from app.core.hub_scope import SCOPES
from app.ui.app_preferences import CONCURRENCY_RANGE, CONTEXT_CHOICES, AppPreferences
from app.ui.errors import ErrorReporter

log = logging.getLogger("mlx_manager.ui")

VIEW_LABELS = {"last": "The view I used last", "my": "My Models", "hub": "Hugging Face"}


class PreferencesDialog(QDialog):
    def __init__(self, prefs: AppPreferences, reporter: ErrorReporter, *, store_path: Path,
                 set_login_item: Callable[[bool], object] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.prefs = prefs
        self.reporter = reporter
        self.store_path = store_path
        self._set_login_item = set_login_item
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)

        self.token_label = QLabel("Checking…", self)
        self.token_label.setWordWrap(True)
        self.token_label.setMinimumWidth(340)  # wraps at a fixed width, so the row grows in height
        self.token_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Hugging Face token:", self.token_label)

        self.view_box = QComboBox(self)
        for key, label in VIEW_LABELS.items():
            self.view_box.addItem(label, key)
        self.view_box.setCurrentIndex(self.view_box.findData(prefs.default_view))
        self.view_box.currentIndexChanged.connect(lambda _i: prefs.set_default_view(self.view_box.currentData()))
        form.addRow("Open with:", self.view_box)

        self.scope_box = QComboBox(self)
        for key in SCOPES:
            self.scope_box.addItem(SCOPE_LABELS[key], key)
        self.scope_box.setCurrentIndex(self.scope_box.findData(prefs.hub_scope))
        self.scope_box.currentIndexChanged.connect(lambda _i: prefs.set_hub_scope(self.scope_box.currentData()))
        form.addRow("Search on Hugging Face:", self.scope_box)

        self.context_box = QComboBox(self)
        for tokens in CONTEXT_CHOICES:
            self.context_box.addItem(f"{formatting.context(tokens)} tokens", tokens)
        if self.context_box.findData(prefs.fit_context) < 0:
            self.context_box.addItem(f"{formatting.context(prefs.fit_context)} tokens", prefs.fit_context)
        self.context_box.setCurrentIndex(self.context_box.findData(prefs.fit_context))
        self.context_box.currentIndexChanged.connect(
            lambda _i: prefs.set_fit_context(int(self.context_box.currentData())))
        self.context_box.setToolTip("The context length “Fits in memory” is judged at")
        form.addRow("Fit verdict at:", self.context_box)

        self.concurrency_box = QSpinBox(self)
        self.concurrency_box.setRange(*CONCURRENCY_RANGE)
        self.concurrency_box.setValue(prefs.concurrency)
        self.concurrency_box.setSuffix(" at once")
        self.concurrency_box.setToolTip("How many config.json requests may run at the same time")
        self.concurrency_box.valueChanged.connect(prefs.set_concurrency)
        form.addRow("Hub requests:", self.concurrency_box)

        store_row = QWidget(self)
        store_layout = QHBoxLayout(store_row)
        store_layout.setContentsMargins(0, 0, 0, 0)
        self.store_label = QLabel("…", store_row)
        self.clear_button = QPushButton("Clear", store_row)
        self.clear_button.setToolTip("Forget every stored config.json; they are fetched again when shown")
        self.clear_button.clicked.connect(self._clear_store)
        store_layout.addWidget(self.store_label, 1)
        store_layout.addWidget(self.clear_button)
        form.addRow("Config store:", store_row)

        self.login_box = QCheckBox("Start MLX Manager when I log in", self)
        self.login_box.setChecked(prefs.start_at_login)
        self.login_box.toggled.connect(self._login_toggled)
        form.addRow("", self.login_box)
        self.setMinimumWidth(520)

    def refresh(self) -> None:
        """Read the token status and the store size again (off the GUI thread)."""
        self.reporter.spawn(self._refresh(), name="reading the preferences")

    async def _refresh(self) -> None:
        from app.services.store_maintenance import store_size
        from app.services.token_status import token_status

        size = await asyncio.to_thread(store_size, self.store_path)
        self._show_size(size)
        status = await asyncio.to_thread(token_status)
        self.token_label.setText(status.describe())
        self.adjustSize()

    def _show_size(self, size: int) -> None:
        self.store_label.setText(f"{formatting.size(size) or '0 B'} in {self.store_path.parent}")

    def _clear_store(self) -> None:
        self.clear_button.setEnabled(False)
        self.reporter.spawn(self._clear(), name="clearing the config store")

    async def _clear(self) -> None:
        from app.services.store_maintenance import clear_store, store_size

        try:
            removed = await asyncio.to_thread(clear_store, self.store_path)
            size = await asyncio.to_thread(store_size, self.store_path)
        finally:
            self.clear_button.setEnabled(True)
        self._show_size(size)
        self.store_label.setText(self.store_label.text() + f" — {removed:,} cleared")

    def _login_toggled(self, on: bool) -> None:
        if self._set_login_item is not None:
            try:
                self._set_login_item(on)
            except OSError as exc:
                self.reporter.report(f"Could not change the login item: {exc.strerror or exc}")
                self.login_box.blockSignals(True)
                self.login_box.setChecked(not on)
                self.login_box.blockSignals(False)
                return
        self.prefs.set_start_at_login(on)
