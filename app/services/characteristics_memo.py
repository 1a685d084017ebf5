"""What the engine made of each local config.json, kept across launches.

Blobs in a Hugging Face cache are named by the hash of their content, so a config blob's
characteristics never go stale: the memo is keyed by that name (and size), plus a fingerprint of the
engine's own source so that a new engine re-reads everything once. A relaunch then shows My Models
without reading or parsing a single config. The memo is only an optimisation: any trouble with its file
(unwritable folder, corrupt database) disables or rebuilds it, and the scan reads the configs instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import threading
from pathlib import Path

from app.core.characteristics import ModelCharacteristics
from app.services import paths

log = logging.getLogger(__name__)
MEMO_FILE = "local-characteristics.sqlite3"
Remembered = tuple[ModelCharacteristics, str | None]  # characteristics, MLX signal from the config


def engine_fingerprint() -> str:
    """A hash of app/core's sources: changes whenever the engine can give different answers."""
    import app
    import app.core

    digest = hashlib.sha1(app.__version__.encode())
    core = Path(app.core.__file__).parent
    try:
        for source in sorted(core.glob("*.py")):
            digest.update(source.name.encode())
            digest.update(source.read_bytes())
    except OSError:
        pass  # a frozen build without sources: the version alone
    return digest.hexdigest()[:16]


class CharacteristicsMemo:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.cache_dir() / MEMO_FILE
        self._engine = engine_fingerprint()
        self._rows: dict[str, str] = {}
        self._decoded: dict[str, Remembered] = {}
        self._new: dict[str, str] = {}
        self._lock = threading.Lock()
        self._load()

    def get(self, key: str) -> Remembered | None:
        hit = self._decoded.get(key)
        if hit is not None:
            return hit
        row = self._rows.get(key) or self._new.get(key)
        if row is None:
            return None
        try:
            values, signal = json.loads(row)
            characteristics = ModelCharacteristics.from_row(values)
        except (ValueError, TypeError):
            return None
        if characteristics is None or not (signal is None or isinstance(signal, str)):
            return None
        self._decoded[key] = (characteristics, signal)
        return characteristics, signal

    def get_signal(self, key: str) -> tuple[str | None] | None:
        """A README's MLX signal, as a 1-tuple (the signal itself may be None); None when unknown."""
        row = self._rows.get("readme:" + key) or self._new.get("readme:" + key)
        if row is None:
            return None
        try:
            signal = json.loads(row)
        except ValueError:
            return None
        return (signal,) if signal is None or isinstance(signal, str) else None

    def put_signal(self, key: str, signal: str | None) -> None:
        with self._lock:
            self._new["readme:" + key] = json.dumps(signal)

    def get_json(self, key: str) -> object:
        """Any other remembered JSON value (an exact parameter count, say); None when unknown."""
        row = self._rows.get("json:" + key) or self._new.get("json:" + key)
        if row is None:
            return None
        try:
            return json.loads(row)
        except ValueError:
            return None

    def put_json(self, key: str, value: object) -> None:
        with self._lock:
            self._new["json:" + key] = json.dumps(value, allow_nan=False)

    def put(self, key: str, characteristics: ModelCharacteristics, signal: str | None) -> None:
        with self._lock:
            self._new[key] = json.dumps([characteristics.to_row(), signal], allow_nan=False)
            self._decoded[key] = (characteristics, signal)

    def flush(self) -> None:
        """Write what this process learned; errors only cost the next launch some speed."""
        with self._lock:
            new, self._new = self._new, {}
        if not new:
            return
        try:
            with self._connect() as db:
                db.executemany(
                    "INSERT OR REPLACE INTO memo (engine, key, value) VALUES (?, ?, ?)",
                    [(self._engine, k, v) for k, v in new.items()],
                )
                db.execute("DELETE FROM memo WHERE engine != ?", (self._engine,))
            self._rows.update(new)
        except (sqlite3.Error, OSError) as exc:
            log.warning("characteristics memo %s not saved (%s); the next launch reads those configs again",
                        self.path, exc)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()
            self._decoded.clear()
            self._new.clear()
        try:
            with self._connect() as db:
                db.execute("DELETE FROM memo")
        except (sqlite3.Error, OSError) as exc:
            log.warning("characteristics memo %s could not be emptied (%s)", self.path, exc)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=5.0)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS memo (engine TEXT, key TEXT, value TEXT, PRIMARY KEY (engine, key))")
        return db

    def _load(self) -> None:
        try:
            db = self._connect()
            try:
                rows = db.execute("SELECT key, value FROM memo WHERE engine = ?", (self._engine,)).fetchall()
            finally:
                db.close()
        except sqlite3.DatabaseError as exc:
            log.warning("characteristics memo %s is damaged (%s); starting a new one", self.path, exc)
            self._move_aside()
            return
        except OSError as exc:
            log.warning("characteristics memo %s cannot be opened (%s); configs are read each launch", self.path, exc)
            return
        self._rows = dict(rows)

    def _move_aside(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.replace(f"{self.path}{suffix}", f"{self.path}{suffix}.corrupt")


_shared: CharacteristicsMemo | None = None
_shared_lock = threading.Lock()


def forget_shared() -> None:
    global _shared
    with _shared_lock:
        _shared = None


def shared() -> CharacteristicsMemo | None:
    """The memo in the app's cache dir, opened once per process; None when it cannot be used."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared.path != paths.cache_dir() / MEMO_FILE:
            try:
                _shared = CharacteristicsMemo()
            except (OSError, sqlite3.Error) as exc:
                log.warning("characteristics memo unavailable (%s); configs are read each launch", exc)
                return None
        return _shared
