"""What Preferences reads and changes outside Qt: the token as huggingface_hub sees it (never whole, never
logged), the config store's size and Clear, the login item (off unless turned on)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from app.services import login_item
from app.services.config_store import ConfigStore, StoredKind
from app.services.store_maintenance import clear_store, store_size
from app.services.token_status import mask, token_status

TOKEN = "hf_abcdefghijklmnopqrstuvWXYZ"


def test_no_token_says_how_to_log_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    from huggingface_hub import constants

    if Path(constants.HF_TOKEN_PATH).exists():
        pytest.skip("a token file exists in this sandbox")
    status = token_status()
    assert not status.found
    assert "hf auth login" in status.describe()


def test_a_token_from_the_environment_is_named_and_masked(monkeypatch: pytest.MonkeyPatch,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    status = token_status()
    assert status.found and status.used
    assert status.source == "the HF_TOKEN environment variable"
    assert status.masked == "hf_…WXYZ"
    text = status.describe()
    assert TOKEN not in text and TOKEN not in repr(status)
    assert "hf_…WXYZ" in text
    assert TOKEN not in caplog.text
    monkeypatch.setenv("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")
    assert "not sent" in token_status().describe()


def test_a_token_file_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    path = Path(constants.HF_TOKEN_PATH)
    if path.exists():
        pytest.skip("a token file exists in this sandbox")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TOKEN + "\n")
    try:
        status = token_status()
    finally:
        path.unlink()
    assert status.found
    assert status.source == f"the token file {path}"
    assert TOKEN not in status.describe()


def test_short_tokens_are_not_revealed_by_the_mask() -> None:
    assert mask("hf_short") == "…"
    assert mask(TOKEN) == "hf_…WXYZ"


def test_clear_empties_the_store_while_it_is_open(tmp_path: Path) -> None:
    path = tmp_path / "configs.sqlite3"
    with ConfigStore(path) as store:
        for n in range(200):
            store.put(f"org/model-{n}", StoredKind.OK, config={"model_type": "llama", "pad": "x" * 2000})
        before = store_size(path)
        assert before > 200 * 2000
        assert clear_store(path) == 200
        assert len(store) == 0, "the open store sees the clear"
        assert store.get("org/model-1") is None
    assert store_size(path) < before / 10
    assert clear_store(tmp_path / "missing.sqlite3") == 0


def test_login_item_is_off_until_turned_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert not login_item.is_enabled()
    path = login_item.set_enabled(True)
    assert login_item.is_enabled() and path.is_file()
    assert str(tmp_path) in str(path)
    assert "app" in path.read_text()
    login_item.set_enabled(False)
    assert not path.exists() and not login_item.is_enabled()
