"""The demo cache builder is a command with a usage line, not a folder named after its first argument."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import democache


def test_help_prints_usage_and_builds_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        democache.main(["--help"])
    assert exit_.value.code == 0
    assert "usage: python -m tests.democache" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_builds_the_cache_it_is_given(tmp_path: Path) -> None:
    assert democache.main([str(tmp_path / "hub")]) == 0
    assert len(list((tmp_path / "hub").glob("models--*"))) == len(democache.MODELS)
