"""The config store: every config.json (or why there is none) we have fetched, kept across launches.

SQLite in WAL mode in the app's cache dir. It answers before the network (offline too); entries
expire after a TTL (long for configs, short for negative answers) but stale entries are still
returned, flagged, so a card shows what it showed before while the fetcher revalidates with the ETag.
A corrupt file is moved aside and rebuilt: losing the cache costs refetches, never a crash.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)

OK_TTL = 7 * 24 * 3600.0
NEGATIVE_TTL = 24 * 3600.0
SCHEMA_VERSION = 1
_T = TypeVar("_T")


class StoredKind(StrEnum):
    OK = "ok"
    NO_CONFIG = "no_config"  # the repo has no config.json (GGUF-only repos...)
    GATED = "gated"  # detail: "no_token" or "not_approved"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class StoredConfig:
    repo_id: str
    kind: StoredKind
    config: dict[str, Any] | None
    etag: str | None
    commit: str | None
    detail: str | None
    fetched_at: float
    expires_at: float
    stale: bool


_SCHEMA = """
CREATE TABLE IF NOT EXISTS configs (
    repo_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    config TEXT,
    etag TEXT,
    commit_sha TEXT,
    detail TEXT,
    fetched_at REAL NOT NULL,
    expires_at REAL NOT NULL
)
"""
_COLUMNS = "repo_id, kind, config, etag, commit_sha, detail, fetched_at, expires_at"


class ConfigStore:
    """Thread-safe: one connection guarded by a lock; other processes coordinate through SQLite."""

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        ok_ttl: float = OK_TTL,
        negative_ttl: float = NEGATIVE_TTL,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = 10.0,
    ) -> None:
        if path is None:
            from app.services.paths import config_store_path

            path = config_store_path()
        self.path = Path(path)
        self.ok_ttl = ok_ttl
        self.negative_ttl = negative_ttl
        self._clock = clock
        self.busy_timeout = busy_timeout
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        with self._lock:
            self._open()

    def __repr__(self) -> str:
        return f"ConfigStore({str(self.path)!r})"

    # --- opening, and recovering from a damaged file ---

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout, check_same_thread=False, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            check = conn.execute("PRAGMA quick_check").fetchone()
            if not check or check[0] != "ok":
                raise sqlite3.DatabaseError(f"quick_check: {check[0] if check else 'no answer'}")
            conn.execute(_SCHEMA)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            conn.close()
            raise
        return conn

    def _open(self) -> None:
        try:
            self._conn = self._connect()
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise  # busy, not broken: never throw away a healthy file another process holds
            self._move_aside(exc)
            self._conn = self._connect()

    def _move_aside(self, exc: Exception) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{time.time_ns() % 1_000_000}")
        log.warning("config store %s is damaged (%s); moving it to %s", self.path, exc, target.name)
        if self._conn is not None:
            with suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
        with suppress(FileNotFoundError):
            self.path.replace(target)
        for suffix in ("-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            with suppress(FileNotFoundError):
                side.replace(target.with_name(target.name + suffix))

    def _run(self, action: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run with the lock; a database found damaged mid-run is rebuilt once and the action retried."""
        with self._lock:
            if self._conn is None:
                self._open()
            assert self._conn is not None
            try:
                return action(self._conn)
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, (sqlite3.OperationalError, sqlite3.ProgrammingError)):
                    raise
                self._move_aside(exc)
                self._open()
                assert self._conn is not None
                return action(self._conn)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> ConfigStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading ---

    def get(self, repo_id: str) -> StoredConfig | None:
        return self.get_many([repo_id]).get(repo_id)

    def get_many(self, repo_ids: Iterable[str]) -> dict[str, StoredConfig]:
        ids = list(dict.fromkeys(repo_ids))
        if not ids:
            return {}
        now = self._clock()

        def query(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            rows: list[tuple[Any, ...]] = []
            for chunk in _chunks(ids, 500):
                marks = ",".join("?" * len(chunk))
                sql = f"SELECT {_COLUMNS} FROM configs WHERE repo_id IN ({marks})"
                rows += conn.execute(sql, chunk).fetchall()
            return rows

        result: dict[str, StoredConfig] = {}
        for row in self._run(query):
            stored = _row_to_stored(row, now)
            if stored is not None:
                result[stored.repo_id] = stored
        return result

    def __len__(self) -> int:
        return int(self._run(lambda conn: conn.execute("SELECT COUNT(*) FROM configs").fetchone()[0]))

    # --- writing ---

    def put(
        self,
        repo_id: str,
        kind: StoredKind,
        *,
        config: dict[str, Any] | None = None,
        etag: str | None = None,
        commit: str | None = None,
        detail: str | None = None,
    ) -> StoredConfig:
        now = self._clock()
        ttl = self.ok_ttl if kind is StoredKind.OK else self.negative_ttl
        text = json.dumps(config, allow_nan=True, separators=(",", ":")) if config is not None else None
        row = (repo_id, kind.value, text, etag, commit, detail, now, now + ttl)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(f"INSERT OR REPLACE INTO configs ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)", row)

        self._run(write)
        return StoredConfig(repo_id, kind, config, etag, commit, detail, now, now + ttl, stale=False)

    def touch(self, repo_id: str, *, etag: str | None = None) -> StoredConfig | None:
        """The server said 304 Not Modified: the entry is fresh again for a full TTL."""
        now = self._clock()

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE configs SET fetched_at = ?, etag = COALESCE(?, etag), expires_at = ? + "
                "CASE kind WHEN 'ok' THEN ? ELSE ? END WHERE repo_id = ?",
                (now, etag, now, self.ok_ttl, self.negative_ttl, repo_id),
            )

        self._run(write)
        return self.get(repo_id)


def _row_to_stored(row: tuple[Any, ...], now: float) -> StoredConfig | None:
    repo_id, kind_text, config_text, etag, commit, detail, fetched_at, expires_at = row
    try:
        kind = StoredKind(kind_text)
    except ValueError:
        return None  # written by a newer version: treat as unknown
    config: dict[str, Any] | None = None
    if config_text is not None:
        try:
            value = json.loads(config_text)
        except (ValueError, RecursionError):
            return None
        if not isinstance(value, dict):
            return None
        config = value
    elif kind is StoredKind.OK:
        return None
    return StoredConfig(
        repo_id=str(repo_id), kind=kind, config=config, etag=etag, commit=commit, detail=detail,
        fetched_at=float(fetched_at), expires_at=float(expires_at), stale=now >= float(expires_at),
    )


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
