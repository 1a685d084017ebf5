"""Downloads against the Hub simulator over real HTTP, judged by what lands in the cache.

huggingface_hub runs in this process with the simulator passed as `endpoint` (and the cache as `cache_dir`),
which is what the app's worker thread does. Each failure is exercised for real: a CDN connection cut
mid-file (`truncate`), a slow file cancelled while in flight (`slow_drip`), gated repos with and without
an approved token, a 429 storm, a Hub that is gone, a full disk (a 4 MiB tmpfs when it can be mounted,
else skipped) and a patched free-space check.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.services.download_plan import make_plan
from app.services.downloads import DownloadJob, DownloadState, DownloadStatus
from tests.hubsim import Fault, HubSim, SimModel

MIB = 1024 * 1024
CONFIG = json.dumps({"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3",
                     "quantization": {"group_size": 64, "bits": 4}}).encode()


def blob(n: int, seed: int) -> bytes:
    return hashlib.sha256(str(seed).encode()).digest() * (n // 32) + bytes(n % 32)


SHARD1 = blob(6 * MIB, 1)
SHARD2 = blob(8 * MIB, 2)
FILES: dict[str, bytes] = {
    "config.json": CONFIG,
    "tokenizer.json": b'{"version": "1.0"}',
    "tokenizer_config.json": b'{"chat_template": "{{ messages }}"}',
    "README.md": b"---\nlibrary_name: mlx\n---\n# Model\n",
    "model-00001-of-00002.safetensors": SHARD1,
    "model-00002-of-00002.safetensors": SHARD2,
    "model.safetensors.index.json": b'{"weight_map": {}}',
    # What MLX does not need: never fetched.
    "pytorch_model.bin": blob(2 * MIB, 3),
    "original/consolidated.pth": b"x" * 100,
    ".gitattributes": b"*.safetensors filter=lfs\n",
}
WANTED = {k for k in FILES if not k.endswith((".bin", ".pth")) and k != ".gitattributes"}


class Recorder:
    def __init__(self) -> None:
        self.statuses: list[DownloadStatus] = []
        self.lock = threading.Lock()

    def __call__(self, status: DownloadStatus) -> None:
        with self.lock:
            self.statuses.append(status)

    def states(self) -> list[DownloadState]:
        return [s.state for s in self.statuses]


@pytest.fixture
def sim() -> Iterator[HubSim]:
    hub = HubSim(corpus=False)
    hub.start()
    hub.add_model(SimModel(id="org/model-4bit", files=FILES))
    try:
        yield hub
    finally:
        hub.stop()
    assert not hub.alive_threads()
    assert not hub.errors, "\n".join(hub.errors)


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "hub"


@pytest.fixture
def quick_library_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """huggingface_hub waits 1 s before each of its resume attempts; the waits prove nothing here."""
    import huggingface_hub.file_download as fd

    class _Time:
        def __getattr__(self, name: str) -> Any:
            return getattr(time, name)

        @staticmethod
        def sleep(_seconds: float) -> None:
            return None

    monkeypatch.setattr(fd, "time", _Time())


def job(sim: HubSim, cache: Path, recorder: Recorder | None = None, **kw: Any) -> DownloadJob:
    kw.setdefault("backoff", ())
    return DownloadJob(kw.pop("repo_id", "org/model-4bit"), cache_dir=str(cache), endpoint=sim.url,
                       on_status=recorder, min_interval=0.0, **kw)


def snapshot_files(cache: Path, repo_id: str = "org/model-4bit") -> dict[str, bytes]:
    folder = cache / ("models--" + repo_id.replace("/", "--")) / "snapshots"
    if not folder.is_dir():
        return {}
    return {str(p.relative_to(snap)): p.read_bytes() for snap in folder.iterdir() for p in snap.rglob("*")
            if p.is_file()}


def partial_files(cache: Path) -> list[Path]:
    return sorted(cache.rglob("*.incomplete")) if cache.exists() else []


def cdn_gets(sim: HubSim) -> list[Any]:
    return [r for r in sim.requests(origin="cdn") if r.method == "GET"]


def test_full_download_through_the_cdn_fetches_only_what_mlx_needs(sim: HubSim, cache: Path) -> None:
    from huggingface_hub import scan_cache_dir

    recorder = Recorder()
    status = job(sim, cache, recorder).run()

    assert status.state is DownloadState.DONE, status.message
    files = snapshot_files(cache)
    assert set(files) == WANTED
    assert all(files[name] == FILES[name] for name in WANTED)
    # The weights came from the other origin (the CDN) after the Hub's redirect, and without the token.
    assert {r.path.rsplit("/", 1)[-1] for r in cdn_gets(sim)} == {
        hashlib.sha256(SHARD1).hexdigest(), hashlib.sha256(SHARD2).hexdigest()}
    repo = next(iter(scan_cache_dir(cache).repos))
    assert repo.repo_id == "org/model-4bit" and repo.refs.keys() == {"main"}
    assert repo.size_on_disk == sum(len(FILES[n]) for n in WANTED)
    # Progress rose to the total and the last report says done.
    done = [s.done_bytes for s in recorder.statuses if s.state is DownloadState.DOWNLOADING]
    assert done == sorted(done) and done[-1] > 0
    assert status.done_bytes == status.total_bytes == repo.size_on_disk
    assert recorder.states()[0] is DownloadState.PLANNING and recorder.states()[-1] is DownloadState.DONE


def test_plan_lists_sizes_and_what_is_cached_without_leaving_a_trace(sim: HubSim, cache: Path) -> None:
    plan = make_plan("org/model-4bit", cache_dir=str(cache), endpoint=sim.url, free_space_fn=lambda _p: 10**12)
    assert {f.path for f in plan.files} == WANTED
    assert plan.total_bytes == sum(len(FILES[n]) for n in WANTED) and plan.cached_bytes == 0 and plan.fits
    assert not cdn_gets(sim)
    # The dry run wrote refs/main into a folder without a snapshot; the plan removed it again.
    assert not (cache / "models--org--model-4bit").exists()

    job(sim, cache).run()
    again = make_plan("org/model-4bit", cache_dir=str(cache), endpoint=sim.url, free_space_fn=lambda _p: 0)
    assert again.to_fetch_bytes == 0 and again.fits


def test_a_connection_cut_mid_file_is_resumed_inside_the_call(sim: HubSim, cache: Path) -> None:
    sim.faults.add(Fault("truncate", origin="cdn", path=hashlib.sha256(SHARD2).hexdigest(), count=1))
    status = job(sim, cache).run()

    assert status.state is DownloadState.DONE, status.message
    assert snapshot_files(cache)["model-00002-of-00002.safetensors"] == SHARD2
    shard2 = [r for r in cdn_gets(sim) if r.path.endswith(hashlib.sha256(SHARD2).hexdigest())]
    assert len(shard2) == 2
    assert "range" not in shard2[0].headers and shard2[1].headers["range"].startswith("bytes=")
    assert shard2[1].headers["range"] != "bytes=0-"  # it went on from the bytes already written


def test_a_connection_that_keeps_dropping_fails_the_call_and_leaves_no_partial_data(
        sim: HubSim, cache: Path, quick_library_retries: None) -> None:
    from huggingface_hub import scan_cache_dir

    sim.faults.add(Fault("truncate", origin="cdn", path=hashlib.sha256(SHARD2).hexdigest(), count=None))
    recorder = Recorder()
    status = job(sim, cache, recorder, backoff=(0.0,)).run()

    assert status.state is DownloadState.PAUSED
    assert status.failure is not None and status.failure.kind == "network"
    assert "Resume" in status.message
    assert DownloadState.RETRYING in recorder.states()  # our own retry, after huggingface_hub's
    assert "model-00002-of-00002.safetensors" not in snapshot_files(cache)
    assert partial_files(cache) == []
    assert scan_cache_dir(cache).incomplete_files == frozenset()
    # Finished files stay: resuming will skip them.
    assert snapshot_files(cache)["model-00001-of-00002.safetensors"] == SHARD1


def test_cancel_stops_the_transfer_and_resume_skips_finished_files(sim: HubSim, cache: Path) -> None:
    slow = hashlib.sha256(SHARD2).hexdigest()
    sim.faults.add(Fault("slow_drip", origin="cdn", path=slow, seconds=20.0, count=1))
    others = sum(len(FILES[n]) for n in WANTED) - len(SHARD2)
    in_flight = threading.Event()

    def on_status(status: DownloadStatus) -> None:
        if status.done_bytes > others:  # every other file done and the slow one under way
            in_flight.set()

    the_job = job(sim, cache, on_status)
    worker = threading.Thread(target=the_job.run)
    worker.start()
    assert in_flight.wait(30)
    cancelled_at = time.monotonic()
    the_job.cancel()
    worker.join(10)
    assert not worker.is_alive()
    assert time.monotonic() - cancelled_at < 5  # the drip would have gone on for ~20 s
    assert the_job.status.state is DownloadState.CANCELLED
    assert "Resume skips finished files" in the_job.status.message
    files = snapshot_files(cache)
    assert "model-00002-of-00002.safetensors" not in files
    assert files["model-00001-of-00002.safetensors"] == SHARD1
    assert partial_files(cache) == []

    sim.clear_log()
    recorder = Recorder()
    resumed = job(sim, cache, recorder).run()
    assert resumed.state is DownloadState.DONE
    assert [r.path.rsplit("/", 1)[-1] for r in cdn_gets(sim)] == [slow]  # only the unfinished file
    assert snapshot_files(cache)["model-00002-of-00002.safetensors"] == SHARD2
    first = next(s for s in recorder.statuses if s.state is DownloadState.DOWNLOADING)
    assert first.done_bytes == others  # the bar starts where the finished files leave it


@pytest.fixture
def gated(sim: HubSim) -> HubSim:
    sim.tokens.update({"hf_alice": "alice", "hf_bob": "bob"})
    sim.add_model(SimModel(id="meta-llama/Gated-4bit", files={"config.json": CONFIG, "model.safetensors": SHARD1},
                           gated="manual", approved_tokens=frozenset({"hf_alice"})))
    return sim


def test_gated_without_a_token_says_to_sign_in_with_the_link(gated: HubSim, cache: Path) -> None:
    status = job(gated, cache, repo_id="meta-llama/Gated-4bit", token=False).run()
    assert status.state is DownloadState.FAILED
    assert status.failure is not None and status.failure.kind == "gated"
    assert "sign in" in status.message and f"{gated.url}/meta-llama/Gated-4bit" in status.message
    assert status.failure.link == f"{gated.url}/meta-llama/Gated-4bit"
    assert not cdn_gets(gated) and not (cache / "models--meta-llama--Gated-4bit").exists()


def test_gated_with_a_token_not_approved_and_with_an_approved_one(gated: HubSim, cache: Path) -> None:
    refused = job(gated, cache, repo_id="meta-llama/Gated-4bit", token="hf_bob").run()
    assert refused.state is DownloadState.FAILED and refused.failure is not None
    assert refused.failure.kind == "gated" and "no access" in refused.message
    assert "hf_bob" not in refused.message

    ok = job(gated, cache, repo_id="meta-llama/Gated-4bit", token="hf_alice").run()
    assert ok.state is DownloadState.DONE
    assert snapshot_files(cache, "meta-llama/Gated-4bit")["model.safetensors"] == SHARD1
    # The token went to the Hub and never to the CDN.
    assert any(r.headers.get("authorization") == "Bearer hf_alice" for r in gated.requests(origin="hub"))
    assert cdn_gets(gated) and all("authorization" not in r.headers for r in gated.requests(origin="cdn"))


def test_not_found_and_rate_limited_are_said_in_words(sim: HubSim, cache: Path) -> None:
    missing = job(sim, cache, repo_id="org/nothing-here", token=False).run()
    assert missing.state is DownloadState.FAILED and missing.failure is not None
    assert missing.failure.kind == "not_found" and "not found" in missing.message

    sim.faults.add(Fault("rate_limit", path=r"^/api/models/", count=None, seconds=1))
    recorder = Recorder()
    limited = job(sim, cache, recorder, backoff=(0.0,)).run()
    assert limited.state is DownloadState.PAUSED and limited.failure is not None
    assert limited.failure.kind == "rate_limited" and "rate limit" in limited.message
    assert "in 1 s" in limited.message and "once the limit resets" in limited.message
    # The retry waited for the Hub's reset (t=1), not our zero backoff.
    retrying = next(s for s in recorder.statuses if s.state is DownloadState.RETRYING)
    assert "Retrying in 1 s" in retrying.message


def test_a_hub_that_is_gone_is_retried_then_paused(cache: Path) -> None:
    hub = HubSim(corpus=False).start()
    url = hub.url
    hub.stop()
    recorder = Recorder()
    status = DownloadJob("org/model-4bit", cache_dir=str(cache), endpoint=url, on_status=recorder,
                         backoff=(0.0, 0.0), min_interval=0.0).run()
    assert status.state is DownloadState.PAUSED and status.failure is not None
    assert status.failure.kind == "network" and "connection" in status.message.lower()
    assert recorder.states().count(DownloadState.RETRYING) == 2


def test_too_big_for_the_disk_is_refused_before_anything_moves(sim: HubSim, cache: Path) -> None:
    status = job(sim, cache, free_space_fn=lambda _p: 5 * MIB).run()
    assert status.state is DownloadState.FAILED and status.failure is not None
    assert status.failure.kind == "disk_full"
    assert "needs 14.7 MB but only 5.2 MB is free" in status.message and "Clean Up" in status.message
    assert not cdn_gets(sim) and snapshot_files(cache) == {}


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.filterwarnings("ignore:Not enough free disk space")
def test_a_disk_that_fills_up_mid_download_stops_cleanly(sim: HubSim, tiny_disk: Path) -> None:
    cache = tiny_disk / "hub"
    # The pre-check is told there is room (another program could fill the disk meanwhile).
    status = job(sim, cache, free_space_fn=lambda _p: 10**12).run()
    assert status.state is DownloadState.FAILED and status.failure is not None
    assert status.failure.kind == "disk_full", status.message
    assert "disk is full" in status.message and "Clean Up" in status.message
    assert partial_files(cache) == []
    assert os.statvfs(tiny_disk).f_bfree > 0  # the partial file's space was given back
