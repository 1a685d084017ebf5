"""What the window remembers between launches (QSettings: geometry, last view, sort per view).

The organisation and application names set in `application.py` decide where QSettings writes; tests
point it at a temp folder with `QSettings.setPath`.
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import QByteArray, QSettings

from app.core.sorting import HUB_SORTS, LOCAL_SORTS, SortKey, parse

ORGANISATION = "MLX Manager"
ORGANISATION_DOMAIN = "mlx-manager.local"
APPLICATION = "MLX Manager"



class View(StrEnum):
    MY = "my"  # My Models: the local cache
    HUB = "hub"  # Hugging Face search


VIEWS: tuple[str, ...] = tuple(View)


class WindowSettings:
    def __init__(self, settings: QSettings | None = None) -> None:
        # The default format is native in the app; tests switch it to INI in a temp folder.
        self._s = settings if settings is not None else QSettings(
            QSettings.defaultFormat(), QSettings.Scope.UserScope, ORGANISATION, APPLICATION)

    @property
    def qsettings(self) -> QSettings:
        """The underlying store (the filter state is kept there too, by `filter_settings`)."""
        return self._s

    def geometry(self) -> QByteArray | None:
        value = self._s.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_geometry(self, value: QByteArray) -> None:
        self._s.setValue("window/geometry", value)

    def view(self) -> str:
        value = self._s.value("window/view", View.MY)
        return View(value) if value in VIEWS else View.MY

    def set_view(self, view: str) -> None:
        self._s.setValue("window/view", view)

    def sort(self, view: str) -> SortKey:
        allowed = LOCAL_SORTS if view == View.MY else HUB_SORTS
        return parse(self._s.value(f"{view}/sort", allowed[0]), allowed, allowed[0])

    def set_sort(self, view: str, key: str, *, reverse: bool = False) -> None:
        self._s.setValue(f"{view}/sort", str(key))
        self._s.setValue(f"{view}/sort_reverse", reverse)

    def sort_reversed(self, view: str) -> bool:
        return str(self._s.value(f"{view}/sort_reverse", False)).lower() in ("true", "1")

    def sync(self) -> None:
        self._s.sync()
