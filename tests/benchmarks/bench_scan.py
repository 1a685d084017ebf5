"""Benchmark: our local cache scan against huggingface_hub's, on 2,000 synthetic model repos.

Run: .venv/bin/python tests/benchmarks/bench_scan.py [--repos N] [--repeat K]

The cache is a real layout (relative symlinks into blobs/, refs/main without newline, 8 files per repo)
with a unique config.json per repo: real corpus configs when ../shared is present, else generated ones,
about a third MLX-quantized. Compared in one process, page cache warmed, median of K runs:

  (a) scan_first_pass            (refs + config.json + README head; sizes left out)
  (b) scan_full                  (a) + sizes and times of every unique blob
  (c) reference: huggingface_hub.scan_cache_dir() + read and json.loads of each main snapshot's config.json

"cold" forgets everything before each run (the very first launch on a machine); "relaunch" keeps only
the characteristics memo that lasts across launches (every later launch: config blobs are named by their
content hash, so what the engine made of them never goes stale); "warm" keeps the in-process memo too (a
rescan after the GUI noticed a change). The headline BENCH ratios use the cold figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.services import local_cache  # noqa: E402
from tests.cachebuilder import CacheBuilder, model_files, readme  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "hf-configs"


def corpus_configs() -> list[dict[str, object]]:
    configs: list[dict[str, object]] = []
    if CORPUS.is_dir():
        for path in sorted(CORPUS.glob("*.json")):
            try:
                value = json.loads(path.read_bytes())
            except ValueError:
                continue
            if isinstance(value, dict):
                configs.append(value)
    return configs


def build(root: Path, repos: int) -> None:
    cache = CacheBuilder(root)
    real = corpus_configs()
    for i in range(repos):
        repo_id = f"org{i % 97}/model-{i}-{'MLX-4bit' if i % 5 == 0 else 'Instruct'}"
        files = model_files(i)
        config = dict(real[i % len(real)]) if real and i % 2 else dict(files["config.json"])  # type: ignore[arg-type]
        # Every repo has its own config, as in a real cache (so no memo can share work between them).
        config["_name_or_path"] = repo_id
        files["config.json"] = config
        mlx = "quantization" in config
        files["README.md"] = readme(library_name="mlx" if mlx else "transformers",
                                    tags=("mlx",) if mlx else ())
        cache.add_model(repo_id, files)


def reference(root: Path) -> int:
    from huggingface_hub import scan_cache_dir

    info = scan_cache_dir(root)
    parsed = 0
    for repo in info.repos:
        for revision in repo.revisions:
            if "main" in revision.refs:
                json.loads((revision.snapshot_path / "config.json").read_bytes())
                parsed += 1
    return parsed


def timed_rounds(candidates: dict[str, tuple[Callable[[], object], Callable[[], None] | None]],
                 repeat: int) -> dict[str, float]:
    """Median wall time of each candidate; rounds are interleaved so that a burst of load from other
    processes on the machine hits every candidate alike."""
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeat):
        for name, (fn, before) in candidates.items():
            if before:
                before()
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-scan-") as tmp:
        os.environ["MLX_MANAGER_CACHE_DIR"] = str(Path(tmp) / "app-cache")  # never the user's own memo
        root = Path(tmp) / "hub"
        start = time.perf_counter()
        build(root, args.repos)
        print(f"built {args.repos} repos in {time.perf_counter() - start:.1f} s "
              f"({'corpus + generated' if corpus_configs() else 'generated'} configs)")

        # Warm the page cache and imports; check both sides see the same repos.
        ours = local_cache.scan_full(root)
        parsed = reference(root)
        assert len(ours) == args.repos == parsed, (len(ours), parsed)
        assert all(m.problem is None and m.size_on_disk for m in ours)

        models = local_cache.scan_first_pass(root)
        def cold() -> None:
            local_cache.clear_memo(lasting=True)

        relaunch = local_cache.clear_memo
        t = timed_rounds({
            "ref": (lambda: reference(root), None),
            "first_cold": (lambda: local_cache.scan_first_pass(root), cold),
            "first_relaunch": (lambda: local_cache.scan_first_pass(root), relaunch),
            "first_warm": (lambda: local_cache.scan_first_pass(root), None),
            "full_cold": (lambda: local_cache.scan_full(root), cold),
            "full_relaunch": (lambda: local_cache.scan_full(root), relaunch),
            "full_warm": (lambda: local_cache.scan_full(root), None),
            "sizes_only": (lambda: local_cache.fill_sizes(models), None),
            "signature": (lambda: local_cache.cache_signature(root), None),
        }, args.repeat)
    ref, first_cold, first_warm, full_cold, full_warm, sizes_only, signature = (
        t["ref"], t["first_cold"], t["first_warm"], t["full_cold"], t["full_warm"], t["sizes_only"],
        t["signature"])

    per = 1e6 / args.repos
    rows = [
        ("reference (scan_cache_dir + json.loads)", ref),
        ("first pass, cold (first launch)", first_cold),
        ("first pass, relaunch", t["first_relaunch"]),
        ("first pass, warm memo", first_warm),
        ("full scan, cold (first launch)", full_cold),
        ("full scan, relaunch", t["full_relaunch"]),
        ("full scan, warm memo", full_warm),
        ("fill_sizes alone", sizes_only),
        ("cache_signature", signature),
    ]
    for label, seconds in rows:
        print(f"{label + ':':41} {seconds * 1000:8.1f} ms  ({seconds * per:6.1f} us/repo)")
    print(f"BENCH scan_first_pass_ratio {first_cold / ref:.3f}")
    print(f"BENCH scan_full_ratio {full_cold / ref:.3f}")
    print(f"BENCH scan_first_pass_relaunch_ratio {t['first_relaunch'] / ref:.3f}")
    print(f"BENCH scan_full_relaunch_ratio {t['full_relaunch'] / ref:.3f}")
    print(f"BENCH scan_first_pass_warm_ratio {first_warm / ref:.3f}")
    print(f"BENCH scan_full_warm_ratio {full_warm / ref:.3f}")
    # The watcher's poll (every 4 s): repo folders plus each snapshot's config.json stat, against a scan.
    print(f"BENCH cache_signature_ratio {signature / ref:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
