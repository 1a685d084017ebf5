"""Where MLX Manager keeps its own files (the config store and the characteristics memo)."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "mlx-manager"
STORE_FILE = "configs.sqlite3"


def cache_dir() -> Path:
    """`MLX_MANAGER_CACHE_DIR` when set, else the platform's user cache dir (created on demand)."""
    override = os.environ.get("MLX_MANAGER_CACHE_DIR", "").strip()
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP_NAME, appauthor=False))


def config_store_path() -> Path:
    return cache_dir() / STORE_FILE
