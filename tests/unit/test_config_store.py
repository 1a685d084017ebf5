"""The config store: answers across launches, expires, survives corruption and concurrent writers."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest

from app.services.config_store import ConfigStore, StoredKind
from app.services.paths import cache_dir, config_store_path

CONFIG = {"model_type": "qwen2", "max_position_embeddings": 32768, "rope_theta": float("inf")}


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_config_survives_a_relaunch(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    with ConfigStore(path) as store:
        store.put("org/a", StoredKind.OK, config=CONFIG, etag='"abc"', commit="c" * 40)
    with ConfigStore(path) as again:
        stored = again.get("org/a")
    assert stored is not None
    assert stored.kind is StoredKind.OK
    assert stored.config is not None and stored.config["max_position_embeddings"] == 32768
    assert stored.config["rope_theta"] == float("inf")  # non-strict JSON round-trips
    assert stored.etag == '"abc"' and stored.commit == "c" * 40
    assert not stored.stale


def test_unknown_ids_are_none_and_get_many_answers_a_screen(tmp_path: Path) -> None:
    with ConfigStore(tmp_path / "s.db") as store:
        for i in range(30):
            store.put(f"org/m{i}", StoredKind.OK, config={"i": i})
        found = store.get_many([f"org/m{i}" for i in range(0, 40, 2)])
        assert store.get("org/nothing") is None
    assert sorted(found) == sorted(f"org/m{i}" for i in range(0, 30, 2))
    assert found["org/m4"].config == {"i": 4}


def test_entries_go_stale_after_their_ttl_and_negative_ones_sooner(tmp_path: Path) -> None:
    clock = Clock()
    with ConfigStore(tmp_path / "s.db", ok_ttl=100, negative_ttl=10, clock=clock) as store:
        store.put("org/ok", StoredKind.OK, config={"a": 1}, etag='"e1"')
        store.put("org/gguf", StoredKind.NO_CONFIG, detail="no config.json")
        clock.now += 50
        assert not (store.get("org/ok") or _missing()).stale
        gguf = store.get("org/gguf")
        assert gguf is not None and gguf.stale and gguf.kind is StoredKind.NO_CONFIG  # stale, still answered
        clock.now += 60
        stale = store.get("org/ok")
        assert stale is not None and stale.stale and stale.etag == '"e1"'
        store.touch("org/ok")  # a 304: fresh again for a full TTL
        assert not (store.get("org/ok") or _missing()).stale
        clock.now += 99
        assert not (store.get("org/ok") or _missing()).stale


def test_garbage_over_the_file_is_moved_aside_and_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with ConfigStore(path) as store:
        for i in range(50):
            store.put(f"org/m{i}", StoredKind.OK, config={"i": i, "pad": "x" * 500})
    data = bytearray(path.read_bytes())
    data[0:4096] = b"\xde\xad\xbe\xef" * 1024
    path.write_bytes(bytes(data))
    with ConfigStore(path) as store:
        assert store.get("org/m1") is None  # lost, but no crash
        store.put("org/new", StoredKind.OK, config={"ok": True})
        assert (store.get("org/new") or _missing()).config == {"ok": True}
    aside = list(tmp_path.glob("s.db.corrupt-*"))
    assert aside, "the damaged file is kept for inspection"


def test_corruption_found_while_running_is_recovered(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = ConfigStore(path)
    try:
        store.put("org/a", StoredKind.OK, config={"a": 1})
        store.close()
        path.write_bytes(b"this is not a database" * 100)
        for suffix in ("-wal", "-shm"):
            (tmp_path / f"s.db{suffix}").unlink(missing_ok=True)
        assert store.get("org/a") is None  # reopens, finds garbage, rebuilds
        store.put("org/b", StoredKind.OK, config={"b": 2})
        assert (store.get("org/b") or _missing()).config == {"b": 2}
    finally:
        store.close()


def test_two_threads_write_concurrently(tmp_path: Path) -> None:
    with ConfigStore(tmp_path / "s.db") as store:
        errors: list[BaseException] = []

        def writer(prefix: str) -> None:
            try:
                for i in range(200):
                    store.put(f"{prefix}/m{i}", StoredKind.OK, config={"i": i})
                    store.get(f"{prefix}/m{i // 2}")
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(p,)) for p in ("t1", "t2")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert len(store) == 400


def _process_writer(path: str, prefix: str) -> None:
    with ConfigStore(path) as store:
        for i in range(150):
            store.put(f"{prefix}/m{i}", StoredKind.OK, config={"i": i})


def test_two_processes_write_concurrently(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    ConfigStore(path).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_process_writer, args=(str(path), p)) for p in ("p1", "p2")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    with ConfigStore(path) as store:
        assert len(store) == 300
        assert (store.get("p2/m149") or _missing()).config == {"i": 149}


def test_the_file_is_a_wal_database_in_the_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLX_MANAGER_CACHE_DIR", str(tmp_path / "cache"))
    assert cache_dir() == tmp_path / "cache"
    with ConfigStore() as store:
        store.put("org/a", StoredKind.GATED, detail="no_token")
    assert config_store_path().exists()
    conn = sqlite3.connect(config_store_path())
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def _missing() -> object:
    raise AssertionError("entry missing")


def test_hf_cache_is_found_the_way_huggingface_hub_finds_it(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from app.services.local_cache import default_cache_dir

    def hf_hub_cache() -> Path:
        return Path(default_cache_dir())

    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hf_hub_cache() == tmp_path / "xdg" / "huggingface" / "hub"
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    assert hf_hub_cache() == tmp_path / "home" / "hub"
    monkeypatch.setenv("HUGGINGFACE_HUB_CACHE", str(tmp_path / "legacy"))
    assert hf_hub_cache() == tmp_path / "legacy"
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    assert hf_hub_cache() == tmp_path / "hub"
