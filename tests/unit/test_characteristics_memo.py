"""What the engine made of each local config lasts across launches, and never goes stale."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.config_parse import ConfigError
from app.core.model_characteristics import ModelCharacteristics
from app.services import characteristics_memo, local_cache
from tests.cachebuilder import CacheBuilder, populate_sample


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CacheBuilder]:
    monkeypatch.setenv("MLX_MANAGER_CACHE_DIR", str(tmp_path / "app-cache"))
    local_cache.clear_memo(lasting=True)
    builder = CacheBuilder(tmp_path / "hub")
    populate_sample(builder)
    yield builder
    local_cache.clear_memo(lasting=True)


def _refuse_to_parse(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    parsed: list[bytes] = []

    def refuse(data: bytes) -> dict[str, object]:
        parsed.append(data)
        raise ConfigError("parsed although remembered")

    monkeypatch.setattr(local_cache, "parse_config_object", refuse)
    return parsed


def _badges(models: list[local_cache.LocalModel]) -> dict[str, object]:
    return {m.id: m.characteristics for m in models}


def test_a_relaunch_shows_the_same_characteristics_without_parsing_any_config(
    cache: CacheBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = local_cache.scan_first_pass(cache.root)
    assert any(m.characteristics for m in first)
    local_cache.clear_memo()  # a new process: only the lasting memo remains
    parsed = _refuse_to_parse(monkeypatch)
    again = local_cache.scan_first_pass(cache.root)
    assert parsed == []
    assert _badges(again) == _badges(first)
    assert [m.mlx_signal for m in again] == [m.mlx_signal for m in first]


def test_a_new_engine_reads_every_config_again(cache: CacheBuilder, monkeypatch: pytest.MonkeyPatch) -> None:
    local_cache.scan_first_pass(cache.root)
    local_cache.clear_memo()
    monkeypatch.setattr(characteristics_memo, "engine_fingerprint", lambda: "another-engine")
    parsed = _refuse_to_parse(monkeypatch)
    local_cache.scan_first_pass(cache.root)
    assert parsed  # nothing remembered from the old engine is trusted


def test_a_corrupt_memo_is_set_aside_and_the_scan_still_works(cache: CacheBuilder, tmp_path: Path) -> None:
    first = local_cache.scan_first_pass(cache.root)
    local_cache.clear_memo()
    memo_file = tmp_path / "app-cache" / characteristics_memo.MEMO_FILE
    memo_file.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{memo_file}{suffix}").unlink(missing_ok=True)
    again = local_cache.scan_first_pass(cache.root)
    assert _badges(again) == _badges(first)
    assert Path(f"{memo_file}.corrupt").exists()


def test_a_memo_that_cannot_be_written_says_so_and_costs_nothing_else(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the memo's folder should be")
    with caplog.at_level("WARNING", logger="app.services.characteristics_memo"):
        memo = characteristics_memo.CharacteristicsMemo(blocker / "memo.sqlite3")
        memo.put("blob:1", ModelCharacteristics(model_type="llama"), None)
        memo.flush()  # nothing raised: the scan goes on
        memo.clear()
    assert memo.get("blob:1") is None
    messages = [r.getMessage() for r in caplog.records]
    assert any("cannot be opened" in m for m in messages)
    assert any("not saved" in m for m in messages) and any("could not be emptied" in m for m in messages)
