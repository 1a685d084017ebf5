"""Benchmark: what the Try feature adds to mlx-lm's own time to first token, on a tiny model.

Run: .venv/bin/python tests/benchmarks/bench_try.py [--repeat K]

The model is the tiny llama of tests/tinymodel.py (random weights, a trained tokenizer, a chat template) in
a temp HF cache. The same prompt, chat template applied, greedy, is answered:

  (a) baseline: mlx-lm's `stream_generate` in this process, the model loaded once: chat template, encode,
      then the time until the first response comes out of the generator;
  (b) the app: `MlxRunner.run` with its worker already holding the model (what Try costs when pressed again):
      file checks, the load round trip answered "reused", the request over the pipe, generation in the
      worker, the first token back over the pipe into the event loop.

Runs alternate (a), (b) so that both see the same machine; medians of K. Headline:
`BENCH try_overhead_ms` = median (b) - median (a). For information, the cold start, each in a fresh
process: (c) `python -c "import mlx_lm; load; stream_generate"` until the first token, against (d) a new
runner (start the worker, import mlx-lm there, load, first token): `BENCH try_cold_overhead_ms`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.services.mlx_runner import MlxRunner, Token, TryEvent, TryRequest  # noqa: E402
from tests.cachebuilder import CacheBuilder  # noqa: E402
from tests.tinymodel import LLAMA, add_tiny_model  # noqa: E402

PROMPT = "Write a haiku about the sea."
MAX_TOKENS = 2

_COLD_BASELINE = """
import sys, time
start = time.perf_counter()
from mlx_lm import load, stream_generate
from mlx_lm.sample_utils import make_sampler
model, tokenizer = load(sys.argv[1])
text = tokenizer.apply_chat_template([{"role": "user", "content": sys.argv[2]}], tokenize=False,
                                     add_generation_prompt=True)
tokens = tokenizer.encode(text, add_special_tokens=False)
next(iter(stream_generate(model, tokenizer, tokens, max_tokens=2, sampler=make_sampler(temp=0.0))))
print((time.perf_counter() - start) * 1000)
"""


def baseline_ttft_ms(model: object, tokenizer: object) -> float:
    from mlx_lm import stream_generate
    from mlx_lm.sample_utils import make_sampler

    start = time.perf_counter()
    text = tokenizer.apply_chat_template([{"role": "user", "content": PROMPT}], tokenize=False,  # type: ignore[attr-defined]
                                        add_generation_prompt=True)
    tokens = tokenizer.encode(text, add_special_tokens=False)  # type: ignore[attr-defined]
    stream = stream_generate(model, tokenizer, tokens, max_tokens=MAX_TOKENS, sampler=make_sampler(temp=0.0))
    next(iter(stream))
    elapsed = (time.perf_counter() - start) * 1000
    for _ in stream:  # let it finish, as the app's worker does
        pass
    return elapsed


async def app_ttft_ms(runner: MlxRunner) -> float:
    first: list[float] = []

    def on_event(event: TryEvent) -> None:
        if isinstance(event, Token) and not first:
            first.append(time.perf_counter())

    start = time.perf_counter()
    await runner.run(TryRequest(LLAMA, PROMPT, max_tokens=MAX_TOKENS, temperature=0.0), on_event)
    return (first[0] - start) * 1000


async def measure(cache: Path, snapshot: Path, repeat: int) -> dict[str, float]:
    from mlx_lm import load

    model, tokenizer = load(str(snapshot))
    baseline_ttft_ms(model, tokenizer)  # warm both sides up (first MLX calls, caches)
    runner = MlxRunner(cache_dir=cache)
    try:
        await app_ttft_ms(runner)
        base, app = [], []
        for _ in range(repeat):
            base.append(baseline_ttft_ms(model, tokenizer))
            app.append(await app_ttft_ms(runner))
    finally:
        await runner.aclose()

    cold_base, cold_app = [], []
    for _ in range(max(3, repeat // 5)):
        out = subprocess.run([sys.executable, "-c", _COLD_BASELINE, str(snapshot), PROMPT], capture_output=True,
                             text=True, check=True, cwd=ROOT)
        cold_base.append(float(out.stdout.strip().splitlines()[-1]))
        fresh = MlxRunner(cache_dir=cache)
        try:
            cold_app.append(await app_ttft_ms(fresh))
        finally:
            await fresh.aclose()
    return {
        "baseline": statistics.median(base), "app": statistics.median(app),
        "baseline_min": min(base), "app_min": min(app),
        "cold_baseline": statistics.median(cold_base), "cold_app": statistics.median(cold_app),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-try-") as tmp:
        cache = Path(tmp) / "hub"
        repo = add_tiny_model(CacheBuilder(cache), LLAMA)
        figures = asyncio.run(measure(cache, repo.snapshot_dir, args.repeat))
    print(f"info mlx-lm stream_generate in process, warm: first token {figures['baseline']:.2f} ms (median), "
          f"{figures['baseline_min']:.2f} ms (best)")
    print(f"info app (MlxRunner, worker holding the model): first token {figures['app']:.2f} ms (median), "
          f"{figures['app_min']:.2f} ms (best)")
    print(f"info cold, fresh process: mlx-lm {figures['cold_baseline']:.0f} ms, app {figures['cold_app']:.0f} ms")
    print(f"BENCH try_overhead_ms {figures['app'] - figures['baseline']:.2f}")
    print(f"BENCH try_ttft_ratio {figures['app'] / figures['baseline']:.2f}")
    print(f"BENCH try_cold_overhead_ms {figures['cold_app'] - figures['cold_baseline']:.0f}")


if __name__ == "__main__":
    main()
