"""The status bar: how many models are shown, the network state, and what runs in the background."""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app.services.network_state import Network


def count_text(shown: int, total: int) -> str:
    """What a list shows of what it holds: "6 models", "Showing 2 of 6 models"."""
    if total <= 0:
        return "No models"
    noun = "model" if total == 1 else "models"
    if shown == total:
        return f"{total:,} {noun}"
    return f"Showing {shown:,} of {total:,} {noun}"


def loaded_text(loaded: int, total: int | None) -> str:
    """How much of a Hub search is here: "50 of 169 loaded" (more come as the list scrolls)."""
    if total is None or total <= loaded:
        return count_text(loaded, loaded)
    return f"{loaded:,} of {total:,} loaded"


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.setContentsMargins(10, 0, 10, 2)
        self.count_label = QLabel(self)
        self.work_label = QLabel(self)
        self.network_label = QLabel(self)
        self.count_label.setObjectName("countLabel")
        self.work_label.setObjectName("workLabel")
        self.network_label.setObjectName("networkLabel")
        self.addWidget(self.count_label)
        self.addWidget(self.work_label, 1)
        self.addPermanentWidget(self.network_label)
        self._work: dict[str, str] = {}
        self._state: Network | None = None  # nothing to say until the Hub has been used
        self._resume_at: float | None = None
        self._message = ""
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._render_network)
        self._render_network()

    def set_counts(self, text: str) -> None:
        self.count_label.setText(text)

    def set_work(self, key: str, text: str | None) -> None:
        """Background work in words ("Reading sizes…"); None when that piece of work is done."""
        if text:
            self._work[key] = text
        else:
            self._work.pop(key, None)
        self.work_label.setText("   ".join(self._work.values()))

    @property
    def work_text(self) -> str:
        return self.work_label.text()

    def set_network(self, state: Network, *, resume_at: float | None = None, message: str = "") -> None:
        """`resume_at` is on the monotonic clock."""
        self._state, self._resume_at, self._message = state, resume_at, message
        if state == Network.RATE_LIMITED and resume_at is not None:
            self._countdown.start()
        else:
            self._countdown.stop()
        self._render_network()

    @property
    def network_text(self) -> str:
        return self.network_label.text()

    def _render_network(self) -> None:
        if self._state == Network.OFFLINE:
            self.network_label.setText("● Offline")
            self.network_label.setToolTip(self._message or "The Hub cannot be reached; My Models still works.")
            self.network_label.setStyleSheet("color: #b45309;")
        elif self._state == Network.RATE_LIMITED:
            text = "● Rate limited"
            if self._resume_at is not None:
                seconds = max(0, math.ceil(self._resume_at - time.monotonic()))
                text = f"● Rate limited — resuming in {seconds} s"
                if seconds == 0:
                    self._countdown.stop()
            self.network_label.setText(text)
            self.network_label.setToolTip(self._message or "The Hub asked us to slow down.")
            self.network_label.setStyleSheet("color: #b45309;")
        elif self._state == Network.ONLINE:
            self.network_label.setText("● Online")
            self.network_label.setToolTip("Connected to the Hugging Face Hub")
            self.network_label.setStyleSheet("color: #15803d;")
        else:
            self.network_label.setText("")
            self.network_label.setToolTip("")
            self.network_label.setStyleSheet("")
