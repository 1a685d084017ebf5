"""The launch's first pass in a forked child: the first screen early, then every repo, then sizes; the same
answers as reading the cache in-process, also when the child dies or cannot be forked.

Each case runs in a fresh interpreter: forking is only done by a process without threads (not pytest's)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cachebuilder import CacheBuilder, sample_config

ROOT = Path(__file__).resolve().parents[2]
REPOS = 200  # more than the first screen reads (4 x 32 at most), so some are known by name only at first

SCRIPT = """
import json, os, sys
from app.services import early_scan

if sys.argv[1] == "child-dies":
    early_scan._child = lambda out: os._exit(3)
scan = early_scan.start()
if sys.argv[1] == "stop":
    import threading
    pid = scan.pid
    scan.stop()
    for thread in threading.enumerate():
        if thread.name == "early-first-pass":
            thread.join(timeout=60)
    answered = [f.done() for f in (scan.first, scan.rest, scan.sizes)]
    read_here = "app.services.local_cache" in sys.modules  # the answers stay pickled; only a fallback reads
    print(json.dumps({"pid": pid, "reaped": scan.pid is None, "answered": answered, "read_here": read_here}))
    sys.exit(0)
from app.services.local_cache import fill_sizes, scan_first_pass
from app.core.sorting import natural
from app.core.model_id import name_of

models, entries = scan.first.result(timeout=60)
expected = scan_first_pass()
out = {
    "forked": scan.rest is not None,
    "first_ids": [m.id for m in models],
    "expected_ids": [m.id for m in expected],
    "pending": [m.id for m in models if m.pending],
    "pending_status": sorted({e.config_status.value for e in entries if e.id in {m.id for m in models if m.pending}}),
    "pending_mlx": sorted({str(e.is_mlx) for e in entries if e.id in {m.id for m in models if m.pending}}),
    "read": {m.id: m.characteristics is not None for m in models if not m.pending},
    "by_name": [m.id for m in sorted(expected, key=lambda m: (natural(name_of(m.id)), natural(m.id)))],
}
if scan.rest is not None:
    rest_models, rest_entries = scan.rest.result(timeout=60)
    out["rest_same"] = [m.to_json_dict() for m in rest_models] == [m.to_json_dict() for m in expected]
    out["rest_pending"] = sum(m.pending for m in rest_models)
    sized = scan.sizes.result(timeout=60)
    out["sizes_same"] = [m.to_json_dict() for m in sized] == [m.to_json_dict() for m in fill_sizes(expected)]
    out["sizes_known"] = all(m.sizes_known for m in sized)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    builder = CacheBuilder(tmp_path_factory.mktemp("early") / "hub")
    for i in range(REPOS):
        builder.add_model(f"org{i % 7}/model-{i}", {"config.json": sample_config(i), "model.safetensors": b"w" * 64})
    return builder.root


def run(cache: Path, tmp_path: Path, case: str, **env: str) -> dict[str, object]:
    environ = {k: v for k, v in os.environ.items() if k != "MLX_MANAGER_FIRST_PASS_IN_THREAD"}
    environ.update(HF_HUB_CACHE=str(cache), MLX_MANAGER_CACHE_DIR=str(tmp_path / "app"), **env)
    done = subprocess.run([sys.executable, "-c", SCRIPT, case], env=environ, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert isinstance(result, dict)
    return result


def test_the_first_answer_has_every_repo_and_the_first_screen_read(cache: Path, tmp_path: Path) -> None:
    out = run(cache, tmp_path, "normal")
    assert out["forked"] is True
    assert out["first_ids"] == out["expected_ids"]  # every card there at once, in the final order
    pending = out["pending"]
    assert isinstance(pending, list) and 0 < len(pending) < REPOS
    assert out["pending_status"] == ["pending"]  # said as waiting for details, not as "no config.json"
    assert out["pending_mlx"] == ["None"]  # unknown yet, not "not MLX"
    read = out["read"]
    assert isinstance(read, dict) and all(read.values())
    by_name = out["by_name"]
    assert isinstance(by_name, list)
    assert all(i in read for i in by_name[:32] + by_name[-32:])  # a first screen by name, either way, is read
    assert out["rest_same"] is True and out["rest_pending"] == 0
    assert out["sizes_same"] is True and out["sizes_known"] is True


def test_a_child_that_dies_costs_time_not_answers(cache: Path, tmp_path: Path) -> None:
    out = run(cache, tmp_path, "child-dies")
    assert out["forked"] is True
    assert out["first_ids"] == out["expected_ids"] and out["pending"] == []
    assert out["rest_same"] is True and out["sizes_same"] is True


def test_without_fork_a_thread_reads_everything_in_one_answer(cache: Path, tmp_path: Path) -> None:
    out = run(cache, tmp_path, "thread", MLX_MANAGER_FIRST_PASS_IN_THREAD="1")
    assert out["forked"] is False
    assert out["first_ids"] == out["expected_ids"] and out["pending"] == []


def test_stopped_the_child_ends_and_nothing_is_read_in_its_place(cache: Path, tmp_path: Path) -> None:
    out = run(cache, tmp_path, "stop")
    assert isinstance(out["pid"], int) and out["reaped"] is True
    with pytest.raises(ProcessLookupError):
        os.kill(out["pid"], 0)  # gone (and not a zombie)
    answered = out["answered"]
    assert isinstance(answered, list)
    # Whatever the child sent before the stop is there; the answers it never sent are not worked out here.
    assert answered == sorted(answered, reverse=True)
    assert out["read_here"] is False
