"""Which part of the Hub a search covers (a preference): the MLX library, mlx-community only, or all of it."""

from __future__ import annotations

from typing import NamedTuple

SCOPES = ("mlx", "mlx-community", "any")
DEFAULT_SCOPE = "mlx"
LABELS = {
    "mlx": "MLX models from any publisher",
    "mlx-community": "mlx-community only",
    "any": "Any model on the Hub (no MLX filter)",
}


class SearchScope(NamedTuple):
    author: str | None
    filters: tuple[str, ...]


def search_scope(scope: str) -> SearchScope:
    """The `/api/models` parameters of a scope; an unknown scope is the default one."""
    if scope == "mlx-community":
        return SearchScope("mlx-community", ())
    if scope == "any":
        return SearchScope(None, ())
    return SearchScope(None, ("mlx",))
