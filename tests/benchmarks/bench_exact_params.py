"""Benchmark: exact parameter counts, building each corpus config with mlx-lm's own classes (no weights).

Run: .venv/bin/python tests/benchmarks/bench_exact_params.py [--repeat K]

For every config in ../shared/corpus/hf-configs (generated llama/qwen configs when the corpus is absent)
that the installed mlx-lm builds, time `count_exact` (build the lazy module tree, quantize as mlx-lm loads
it, count as `get_total_parameters`), best of K runs per config. The baseline, in the same process, is the
shape estimate of the same config (`extract_characteristics`), so the ratio says what exactness costs.

Prints `BENCH exact_params_ms` (median per config), `BENCH exact_params_p90_ms`, `BENCH exact_params_max_ms`,
`BENCH exact_params_import_ms` (importing mlx and mlx_lm once, in the worker), `BENCH exact_params_cached_us`
(a count remembered by config hash), `BENCH exact_vs_estimate_ratio` and `BENCH exact_params_configs`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MLX_MANAGER_CACHE_DIR", tempfile.mkdtemp(prefix="bench-exact-"))

from app.core.characteristics import extract_characteristics  # noqa: E402
from app.services.exact_params import ExactCounter, count_exact  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "hf-configs"


def configs() -> list[tuple[str, dict[str, Any]]]:
    if CORPUS.is_dir():
        found = []
        for path in sorted(CORPUS.glob("*.json")):
            try:
                data = json.loads(path.read_text())
            except ValueError:
                continue
            if isinstance(data, dict):
                found.append((path.stem, data))
        return found
    from tests.cachebuilder import llama_config, qwen_config

    generated = [llama_config(), llama_config(bits=4), qwen_config(), qwen_config(bits=4),
                 llama_config(layers=80, hidden=8192)]
    return [(f"generated-{n}", c) for n, c in enumerate(generated)]


def best_ms(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    import mlx_lm.utils  # noqa: F401  (the worker pays this once)

    import_ms = (time.perf_counter() - start) * 1000
    exact_ms, estimate_ms = [], []
    built = 0
    for _name, config in configs():
        if count_exact(config) is None:
            continue  # not an architecture this mlx-lm builds: no exact figure to time
        built += 1
        exact_ms.append(best_ms(lambda c=config: count_exact(c), args.repeat))
        estimate_ms.append(best_ms(lambda c=config: extract_characteristics(c), args.repeat))
    if not exact_ms:
        print("BENCH exact_params_configs 0")
        return
    counter = ExactCounter(use_process=False)
    sample = configs()[0][1]
    counter.count_now(sample)
    hit = best_ms(lambda: counter.count_now(sample), 200) * 1000
    counter.close()
    exact_ms.sort()
    median = statistics.median(exact_ms)
    print(f"BENCH exact_params_ms {median:.1f}")
    print(f"BENCH exact_params_p90_ms {exact_ms[int(0.9 * (len(exact_ms) - 1))]:.1f}")
    print(f"BENCH exact_params_max_ms {exact_ms[-1]:.1f}")
    print(f"BENCH exact_params_import_ms {import_ms:.0f}")
    print(f"BENCH exact_params_cached_us {hit:.1f}")
    print(f"BENCH exact_vs_estimate_ratio {median / statistics.median(estimate_ms):.0f}")
    print(f"BENCH exact_params_configs {built}")


if __name__ == "__main__":
    main()
