"""Download overhead (a plain script: `python tests/benchmarks/bench_download.py`).

BENCH download_overhead_ratio: wall time of the app's download of a ~200 MB repo (two 100 MB shards plus
config and tokenizer) from the simulator, over `snapshot_download` alone with the same allow-list and
huggingface_hub's own defaults. The app's time includes everything it adds: the plan (a dry run: repo
info, tree, a HEAD per file, the free-space check), the byte-counting progress class, 64 KiB reads instead
of 10 MiB, and the throttled status reports. BENCH download_progress_overhead_ratio compares with
`snapshot_download` reading 64 KiB pieces as well, isolating the plan and the progress. Runs alternate,
each into a fresh cache; medians of RUNS each.
Target <= 1.05. The simulator runs in its own process so it does not share the GIL with the client.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
for key in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE"):
    os.environ.pop(key, None)
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"  # the baseline's console bars are not what is measured
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_XET"] = "1"
_home = Path(tempfile.mkdtemp(prefix="bench-download-home-"))
os.environ["HF_HOME"] = str(_home)

from tests.hubsim import HubSim, SimModel  # noqa: E402

REPO = "bench/two-hundred-mb-4bit"
SHARD = 100 * 1024 * 1024
RUNS = 7
# Caches go to a RAM disk when there is one: the disk's write-back of the previous run would land on the next.
SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def _serve(conn: Connection) -> None:
    with HubSim(corpus=False) as sim:
        files = {
            "config.json": b'{"model_type": "qwen3", "quantization": {"group_size": 64, "bits": 4}}',
            "tokenizer.json": b'{"version": "1.0"}',
            "tokenizer_config.json": b'{"chat_template": "{{ messages }}"}',
            "model-00001-of-00002.safetensors": b"\x01" * SHARD,
            "model-00002-of-00002.safetensors": b"\x02" * SHARD,
            "model.safetensors.index.json": b'{"weight_map": {}}',
        }
        model = sim.add_model(SimModel(id=REPO, files=files))
        _ = [info.etag for info in model.file_infos.values()]  # hash the shards now, not during run 1
        conn.send(sim.url)
        conn.recv()


def main() -> None:
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(child,))
    server.start()
    url = parent.recv()
    try:
        from huggingface_hub import constants, snapshot_download

        from app.services.download_plan import MLX_ALLOW_PATTERNS, make_plan
        from app.services.downloads import CHUNK_SIZE, DownloadJob, DownloadState

        default_chunk = constants.DOWNLOAD_CHUNK_SIZE
        reports = 0

        def count(_status: object) -> None:
            nonlocal reports
            reports += 1

        def baseline(cache: str) -> None:
            constants.DOWNLOAD_CHUNK_SIZE = default_chunk  # the app lowers it process-wide
            snapshot_download(REPO, cache_dir=cache, endpoint=url, allow_patterns=list(MLX_ALLOW_PATTERNS))

        def baseline_small_chunks(cache: str) -> None:
            constants.DOWNLOAD_CHUNK_SIZE = CHUNK_SIZE
            snapshot_download(REPO, cache_dir=cache, endpoint=url, allow_patterns=list(MLX_ALLOW_PATTERNS))

        def ours(cache: str) -> None:
            status = DownloadJob(REPO, cache_dir=cache, endpoint=url, on_status=count).run()
            assert status.state is DownloadState.DONE, status.message

        def plan_only(cache: str) -> None:
            make_plan(REPO, cache_dir=cache, endpoint=url)

        variants = (("baseline", baseline), ("small_chunks", baseline_small_chunks), ("ours", ours),
                    ("plan", plan_only))
        times: dict[str, list[float]] = {name: [] for name, _ in variants}
        for i in range((RUNS + 1) * len(variants)):
            name, fn = variants[i % len(variants)]
            cache = tempfile.mkdtemp(prefix="bench-download-", dir=SCRATCH)
            start = time.perf_counter()
            fn(cache)
            elapsed = time.perf_counter() - start
            shutil.rmtree(cache)
            if i >= len(variants):  # one warm-up run each (imports, connections, page cache)
                times[name].append(elapsed)
        base, app = statistics.median(times["baseline"]), statistics.median(times["ours"])
        same_chunks = statistics.median(times["small_chunks"])
        mb = 2 * SHARD / 1e6
        print(f"BENCH download_overhead_ratio {app / base:.3f}  # target <= 1.05", flush=True)
        print(f"BENCH download_progress_overhead_ratio {app / same_chunks:.3f}  # over snapshot_download with "
              "the same 64 KiB reads: what the plan and the progress cost", flush=True)
        print(f"BENCH download_snapshot_alone_s {base:.3f}  # {mb / base:.0f} MB/s", flush=True)
        print(f"BENCH download_app_s {app:.3f}  # {mb / app:.0f} MB/s", flush=True)
        print(f"BENCH download_plan_s {statistics.median(times['plan']):.3f}  # the dry run before anything "
              "moves (repo info, tree, a HEAD per file), part of download_app_s", flush=True)
        print(f"BENCH download_status_reports_per_run {reports / (RUNS + 1):.0f}", flush=True)
    finally:
        parent.send("stop")
        server.join(30)
        shutil.rmtree(_home, ignore_errors=True)


if __name__ == "__main__":
    main()
