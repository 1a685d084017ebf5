"""`python -m app --self-test --json` as a person (or CI) runs it: every run-time part starts from source,
nothing of the person's cache or store is touched, and a part that cannot start fails the run by name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PARTS = ["python", "commands", "qt", "window", "store", "hub_client", "mlx", "mlx_lm", "hf_xet", "worker", "try"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    own_cache, own_store = tmp_path / "own-hub", tmp_path / "own-store"
    own_cache.mkdir()
    own_store.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HF_ENDPOINT", "HF_HUB_DISABLE_XET")}
    env.update(HF_HUB_CACHE=str(own_cache), MLX_MANAGER_CACHE_DIR=str(own_store), HOME=str(tmp_path / "home"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), HF_HOME=str(tmp_path / "hf-home"))
    env.pop("QT_QPA_PLATFORM", None)  # the self-test chooses offscreen itself
    return env


def self_test(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", "--self-test", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_every_part_starts_from_source(env: dict[str, str], tmp_path: Path) -> None:
    result = self_test(env, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    payload = json.loads(result.stdout)
    assert payload["ok"] is True and payload["failed"] == [] and payload["frozen"] is False
    parts = {part["name"]: part for part in payload["checks"]}
    assert list(parts) == PARTS
    assert all(part["ok"] and part["error"] is None and part["detail"] for part in parts.values())
    assert "3 sample models listed" in parts["window"]["detail"]
    assert "on the default device, the cpu" in parts["mlx"]["detail"]  # the CPU build of MLX here
    assert "answered ping" in parts["worker"]["detail"]
    assert "generated 4 tokens" in parts["try"]["detail"]
    assert "Traceback" not in result.stderr
    # The person's own cache and store were neither written nor used, and no settings were saved.
    assert not any((tmp_path / "own-hub").iterdir())
    assert not any((tmp_path / "own-store").iterdir())
    assert not [p for p in (tmp_path / "config").rglob("*") if p.is_file()]


def test_a_part_that_cannot_start_fails_the_run_by_name(env: dict[str, str]) -> None:
    env["HF_ENDPOINT"] = "ftp://hub.example"  # the Hub client refuses an address that is not http(s)
    result = self_test(env)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    failed = [line for line in lines if line.startswith("FAIL")]
    assert len(failed) == 1 and failed[0].split()[1] == "hub_client" and "HF_ENDPOINT" in failed[0]
    assert sum(line.startswith("ok ") for line in lines) == len(PARTS) - 1  # the other parts still ran
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("mlx-manager: self-test failed: hub_client (HF_ENDPOINT='ftp://hub.example'")
    assert "Traceback" not in result.stderr
