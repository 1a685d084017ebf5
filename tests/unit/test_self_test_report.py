"""The self-test's runner: every part is reported, and a part that fails makes the exit non-zero and is named,
with the words it failed with (the real checks run in tests/integration/test_self_test.py)."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import pytest

from app.self_test.runner import Check, CheckFailed, run_self_test


def _checks_with_failures(seen: dict[str, object]) -> list[Check]:
    def fine() -> str:
        seen["cache"] = os.environ.get("HF_HUB_CACHE")
        seen["offline"] = os.environ.get("HF_HUB_OFFLINE")
        return "all good"

    def metallib_missing() -> str:
        raise CheckFailed("mlx.metallib is not beside /x/libmlx.dylib")

    def crashed() -> str:
        raise RuntimeError("the worker died (exit code -9)")

    def exited() -> str:
        sys.exit(3)  # a library calling sys.exit is a failed part, not the self-test's own exit

    return [("python", fine), ("mlx", metallib_missing), ("worker", crashed), ("try", exited)]


def test_failing_parts_exit_non_zero_and_are_named_in_json() -> None:
    out, err = io.StringIO(), io.StringIO()
    seen: dict[str, object] = {}
    code = run_self_test(as_json=True, checks=lambda place: _checks_with_failures(seen), out=out, err=err)
    assert code == 1
    payload = json.loads(out.getvalue())
    assert payload["ok"] is False
    assert payload["failed"] == ["mlx", "worker", "try"]
    parts = {part["name"]: part for part in payload["checks"]}
    assert list(parts) == ["python", "mlx", "worker", "try"]  # every part, passed or not, in order
    assert parts["python"] == {"name": "python", "ok": True, "detail": "all good", "error": None,
                               "seconds": parts["python"]["seconds"]}
    assert parts["mlx"]["ok"] is False and parts["mlx"]["error"] == "mlx.metallib is not beside /x/libmlx.dylib"
    assert parts["worker"]["error"] == "RuntimeError: the worker died (exit code -9)"
    assert parts["try"]["error"] == "SystemExit: 3"
    last_line = err.getvalue().strip().splitlines()[-1]
    assert last_line.startswith("mlx-manager: self-test failed: mlx (mlx.metallib is not beside")
    assert "worker (RuntimeError: the worker died" in last_line and "try (SystemExit: 3)" in last_line


def test_failing_parts_in_text() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = run_self_test(as_json=False, checks=lambda place: _checks_with_failures({}), out=out, err=err)
    assert code == 1
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["ok", "python", "all", "good"]
    assert lines[1].startswith("FAIL  mlx ")
    assert not any("passed" in line for line in lines)
    assert "self-test failed: mlx" in err.getvalue()


def test_all_parts_passing_exit_zero() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = run_self_test(as_json=False, checks=lambda place: [("python", lambda: "3.11"), ("qt", lambda: "6.11")],
                         out=out, err=err)
    assert code == 0
    assert out.getvalue().splitlines()[-1] == "self-test passed: 2 parts started"
    assert err.getvalue() == ""


def test_checks_run_in_a_temp_place_that_is_removed_and_the_environment_restored(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", "/the/person/cache")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    places: list[Path] = []
    seen: dict[str, object] = {}

    def checks(place: Path) -> list[Check]:
        places.append(place)
        return _checks_with_failures(seen)[:1]

    assert run_self_test(as_json=True, checks=checks, out=io.StringIO(), err=io.StringIO()) == 0
    assert seen["cache"] == str(places[0] / "hub")  # never the person's own cache
    assert seen["offline"] == "1"
    assert not places[0].exists()
    assert os.environ["HF_HUB_CACHE"] == "/the/person/cache"
    assert "HF_HUB_OFFLINE" not in os.environ


def test_an_import_error_says_what_caused_it() -> None:
    def extension() -> str:
        try:
            raise ImportError("libscipy_openblas64_.so: ELF load command address/offset not page-aligned")
        except ImportError as exc:
            raise ImportError("Encountered an error while initializing the extension.") from exc

    out, err = io.StringIO(), io.StringIO()
    assert run_self_test(as_json=True, checks=lambda place: [("mlx", extension)], out=out, err=err) == 1
    words = json.loads(out.getvalue())["checks"][0]["error"]
    assert words == ("ImportError: Encountered an error while initializing the extension. (caused by ImportError: "
                     "libscipy_openblas64_.so: ELF load command address/offset not page-aligned)")
