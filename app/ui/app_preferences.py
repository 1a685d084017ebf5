"""The preferences, kept in the app's QSettings next to the window's state; every change is announced so
it applies at once, without a restart.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Signal

from app.core.hub_scope import DEFAULT_SCOPE, SCOPES
from app.core.memory import DEFAULT_CONTEXT

DEFAULT_VIEWS = ("last", "my", "hub")  # "last": the view the window was in when it was closed
CONTEXT_CHOICES = (4096, 8192, 16384, 32768, 65536, 131072)
DEFAULT_CONCURRENCY = 12  # one 12-card screen of configs in one round trip
CONCURRENCY_RANGE = (1, 16)


def _int(value: object, default: int, low: int, high: int) -> int:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return default
    return number if low <= number <= high else default


class AppPreferences(QObject):
    changed = Signal(str)  # the key that changed: default_view, hub_scope, fit_context, concurrency, start_at_login

    def __init__(self, settings: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._s = settings

    def _set(self, key: str, value: object) -> None:
        if self._s.value(f"preferences/{key}") == value:
            return
        self._s.setValue(f"preferences/{key}", value)
        self._s.sync()
        self.changed.emit(key)

    @property
    def default_view(self) -> str:
        value = self._s.value("preferences/default_view", "last")
        return value if value in DEFAULT_VIEWS else "last"

    def set_default_view(self, view: str) -> None:
        if view not in DEFAULT_VIEWS:
            raise ValueError(f"default view is one of {', '.join(DEFAULT_VIEWS)}")
        self._set("default_view", view)

    def start_view(self, last_view: str) -> str:
        """The view to open with, given the one the window was last in."""
        return last_view if self.default_view == "last" else self.default_view

    @property
    def hub_scope(self) -> str:
        value = self._s.value("preferences/hub_scope", DEFAULT_SCOPE)
        return value if value in SCOPES else DEFAULT_SCOPE

    def set_hub_scope(self, scope: str) -> None:
        if scope not in SCOPES:
            raise ValueError(f"Hub scope is one of {', '.join(SCOPES)}")
        self._set("hub_scope", scope)

    @property
    def fit_context(self) -> int:
        """The context length (tokens) the fit-in-memory verdict is computed at by default."""
        return _int(self._s.value("preferences/fit_context"), DEFAULT_CONTEXT, 512, 10_000_000)

    def set_fit_context(self, tokens: int) -> None:
        if not 512 <= tokens <= 10_000_000:
            raise ValueError("the default context is between 512 and 10,000,000 tokens")
        self._set("fit_context", int(tokens))

    @property
    def concurrency(self) -> int:
        """How many config requests run at once."""
        return _int(self._s.value("preferences/concurrency"), DEFAULT_CONCURRENCY, *CONCURRENCY_RANGE)

    def set_concurrency(self, value: int) -> None:
        low, high = CONCURRENCY_RANGE
        if not low <= value <= high:
            raise ValueError(f"request concurrency is between {low} and {high}")
        self._set("concurrency", int(value))

    @property
    def start_at_login(self) -> bool:
        return str(self._s.value("preferences/start_at_login", "false")).lower() in ("true", "1")

    def set_start_at_login(self, on: bool) -> None:
        self._set("start_at_login", "true" if on else "false")
