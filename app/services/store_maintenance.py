"""The config store's size on disk, and emptying it (Preferences' Clear button).

Works on the file through a connection of its own, so it is correct while the app's store is open too:
SQLite coordinates the two.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

_SIDE_FILES = ("", "-wal", "-shm")


def store_size(path: Path) -> int:
    """Bytes on disk: the database and its write-ahead log."""
    total = 0
    for suffix in _SIDE_FILES:
        with contextlib.suppress(OSError):  # a side file comes and goes with the log
            total += path.with_name(path.name + suffix).stat().st_size
    return total


def clear_store(path: Path) -> int:
    """Delete every stored config and give the space back; returns how many entries were removed."""
    if not path.exists():
        return 0
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 10000")
        exists = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'configs'").fetchone()
        if not exists:
            return 0
        removed = conn.execute("DELETE FROM configs").rowcount
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
        return max(0, removed)
    finally:
        conn.close()
