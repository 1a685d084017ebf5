"""Where MLX Manager keeps its own files (the config store), and where the Hugging Face cache is."""

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


def hf_hub_cache() -> Path:
    """The Hugging Face cache, resolved the way huggingface_hub does, without importing it."""
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        value = os.environ.get(name, "").strip()
        if value:
            return Path(os.path.expandvars(value)).expanduser()
    home = os.environ.get("HF_HOME", "").strip()
    if home:
        return Path(os.path.expandvars(home)).expanduser() / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "huggingface" / "hub"
