"""Downloads: one `DownloadJob` per model, run in a worker thread, reporting `DownloadStatus` values.

A job plans first (files, sizes, what is cached, free space; refused in words when it cannot fit), then
runs huggingface_hub's `snapshot_download` with the MLX allow-list and a byte-counting `tqdm_class`.
A lost connection is retried with backoff, then the job pauses. Cancel stops at the next 64 KiB read.

Resume semantics (huggingface_hub ≥ 1.18): a file cut mid-way is not resumed across runs, its partial data
is deleted; finished files stay in the cache, and "Resume" starts the download again, skipping them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from app.core import transfer_text
from app.core.model_id import validate_model_id
from app.services.download_errors import (
    DownloadCancelled,
    Failure,
    NotEnoughSpace,
    describe_failure,
)
from app.services.download_plan import MLX_ALLOW_PATTERNS, DownloadPlan, FreeSpace, free_space, make_plan
from app.services.transfer_progress import ByteCounter, tqdm_class_for

RESUME_NOTE = "Resume skips finished files; a file cut mid-way starts over."
DEFAULT_BACKOFF = (2.0, 5.0, 15.0)
# huggingface_hub hands over the network's bytes in 10 MiB pieces and reports after each: on a slow link that
# is seconds between progress reports, and Cancel (checked on each report) would wait as long. 64 KiB is
# what one socket read brings anyway; the cost is measured by tests/benchmarks/bench_download.py.
CHUNK_SIZE = 64 * 1024


class DownloadState(StrEnum):
    PLANNING = "planning"
    DOWNLOADING = "downloading"
    RETRYING = "retrying"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    FAILED = "failed"
    DONE = "done"


ACTIVE_STATES = frozenset({DownloadState.PLANNING, DownloadState.DOWNLOADING, DownloadState.RETRYING})


@dataclass(frozen=True)
class DownloadStatus:
    repo_id: str
    state: DownloadState
    done_bytes: int = 0
    total_bytes: int = 0
    bytes_per_second: float | None = None
    eta_seconds: float | None = None
    message: str = ""
    failure: Failure | None = None
    plan: DownloadPlan | None = None
    snapshot_path: str | None = None
    started_at: float = 0.0  # time.time()

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def resumable(self) -> bool:
        return self.state in (DownloadState.PAUSED, DownloadState.CANCELLED, DownloadState.FAILED)

    @property
    def percent(self) -> int | None:
        return transfer_text.percent(self.done_bytes, self.total_bytes)

    def progress_text(self) -> str:
        return transfer_text.progress_line(self.done_bytes, self.total_bytes, self.bytes_per_second,
                                           self.eta_seconds)

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.repo_id, "state": self.state.value, "done_bytes": self.done_bytes,
            "total_bytes": self.total_bytes, "percent": self.percent,
            "bytes_per_second": None if self.bytes_per_second is None else round(self.bytes_per_second),
            "eta_seconds": None if self.eta_seconds is None else round(self.eta_seconds, 1),
            "message": self.message, "error": self.failure.kind if self.failure else None,
            "link": self.failure.link if self.failure else None, "snapshot_path": self.snapshot_path,
        }


StatusSink = Callable[[DownloadStatus], None]
MAX_RATE_LIMIT_WAIT = 300.0


def _when_to_resume(failure: Failure) -> str:
    if failure.kind == "rate_limited":
        return "Paused: press Resume once the limit resets."
    if "answered" in failure.message:  # a 5xx: the Hub is up but unwell
        return "Paused: press Resume a little later."
    return "Paused: press Resume when the connection is back."


class _Rate:
    """Bytes per second, smoothed so one slow chunk does not swing the estimate."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._last_t = clock()
        self._last_n = 0
        self.value: float | None = None

    def sample(self, n: int) -> float | None:
        now = self._clock()
        dt = now - self._last_t
        if dt >= 0.2:
            instant = (n - self._last_n) / dt
            self.value = instant if self.value is None else 0.7 * self.value + 0.3 * instant
            self._last_t, self._last_n = now, n
        return self.value


class DownloadJob:
    """One model's download. `run()` blocks (call it in a worker thread); `cancel()` from any thread."""

    def __init__(
        self,
        repo_id: str,
        *,
        cache_dir: str | None = None,
        endpoint: str | None = None,
        token: str | bool | None = None,
        on_status: StatusSink | None = None,
        free_space_fn: FreeSpace = free_space,
        backoff: Sequence[float] = DEFAULT_BACKOFF,
        min_interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from app.services.local_cache import default_cache_dir

        self.repo_id = validate_model_id(repo_id)
        self.cache_dir = cache_dir or default_cache_dir()
        self.endpoint = endpoint
        self.token = token
        self._on_status = on_status
        self._free_space = free_space_fn
        self._backoff = tuple(backoff)
        self._min_interval = min_interval
        self._clock = clock
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._last_emit = 0.0
        self._status = DownloadStatus(self.repo_id, DownloadState.PLANNING, started_at=time.time(),
                                      message="Checking the files and the free space…")

    @property
    def status(self) -> DownloadStatus:
        return self._status

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelling(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> DownloadStatus:
        self._emit(self._status, force=True)
        plan: DownloadPlan | None = None
        attempt = 0
        while True:
            try:
                self._raise_if_cancelled()
                if plan is None:
                    plan = make_plan(self.repo_id, cache_dir=self.cache_dir, endpoint=self.endpoint,
                                     token=self.token, free_space_fn=self._free_space,
                                     tqdm_class=tqdm_class_for(ByteCounter(cancelled=self._cancel)))
                    if not plan.fits:
                        raise NotEnoughSpace(plan.no_room_message())
                path = self._transfer(plan)
            except Exception as exc:  # noqa: BLE001 - every failure is described in words on the job
                failure = self._describe(exc)
                if failure.kind == "cancelled":
                    return self._finish(DownloadState.CANCELLED, f"Cancelled. {RESUME_NOTE}", None)
                if failure.retryable and attempt < len(self._backoff):
                    # The Hub's own reset time wins over our backoff (retrying earlier only earns another 429).
                    delay = max(self._backoff[attempt], min(failure.retry_after or 0.0, MAX_RATE_LIMIT_WAIT))
                    attempt += 1
                    self._update(state=DownloadState.RETRYING, bytes_per_second=None, eta_seconds=None,
                                 failure=failure, force=True,
                                 message=f"{failure.message} Retrying in {delay:.0f} s "
                                         f"({attempt} of {len(self._backoff)})…")
                    if self._cancel.wait(delay):
                        return self._finish(DownloadState.CANCELLED, f"Cancelled. {RESUME_NOTE}", None)
                    continue
                if failure.retryable:
                    return self._finish(DownloadState.PAUSED, f"{failure.message} {_when_to_resume(failure)} "
                                        f"{RESUME_NOTE}", failure)
                return self._finish(DownloadState.FAILED, failure.message, failure)
            return self._finish(DownloadState.DONE, "Downloaded.", None, snapshot_path=path)

    # --- internals ------------------------------------------------------------------------------------

    def _transfer(self, plan: DownloadPlan) -> str:
        from huggingface_hub import constants, snapshot_download

        constants.DOWNLOAD_CHUNK_SIZE = min(constants.DOWNLOAD_CHUNK_SIZE, CHUNK_SIZE)
        baseline = plan.present_bytes()
        rate = _Rate(self._clock)

        def on_bytes(fetched: int) -> None:
            # Called for every 64 KiB from several threads: skip all work between reports (an unlocked
            # read; at worst one report more or less).
            if self._clock() - self._last_emit < self._min_interval:
                return
            done = min(baseline + fetched, plan.total_bytes)
            speed = rate.sample(fetched)
            eta = (plan.total_bytes - done) / speed if speed else None
            self._update(state=DownloadState.DOWNLOADING, done_bytes=done, bytes_per_second=speed,
                         eta_seconds=eta, message="")

        counter = ByteCounter(on_bytes, cancelled=self._cancel)
        self._update(state=DownloadState.DOWNLOADING, plan=plan, done_bytes=baseline,
                     total_bytes=plan.total_bytes, failure=None, message="", force=True)
        return snapshot_download(
            self.repo_id, cache_dir=self.cache_dir, endpoint=self.endpoint, token=self.token,
            allow_patterns=list(MLX_ALLOW_PATTERNS), tqdm_class=tqdm_class_for(counter),
        )

    def _describe(self, exc: Exception) -> Failure:
        free: int | None
        try:
            free = self._free_space(self.cache_dir)
        except OSError:
            free = None
        return describe_failure(exc, self.repo_id, self._endpoint_url(), has_token=self._has_token(),
                                free_bytes=free)

    def _endpoint_url(self) -> str:
        if self.endpoint:
            return self.endpoint
        from huggingface_hub import constants

        return constants.ENDPOINT

    def _has_token(self) -> bool:
        if isinstance(self.token, str):
            return bool(self.token.strip())
        if self.token is False:
            return False
        from huggingface_hub import get_token

        return get_token() is not None

    def _raise_if_cancelled(self) -> None:
        if self._cancel.is_set():
            raise DownloadCancelled()

    def _finish(self, state: DownloadState, message: str, failure: Failure | None,
                snapshot_path: str | None = None) -> DownloadStatus:
        done = self._status.total_bytes if state is DownloadState.DONE else self._status.done_bytes
        self._update(state=state, message=message, failure=failure, snapshot_path=snapshot_path,
                     done_bytes=done, bytes_per_second=None, eta_seconds=None, force=True)
        return self._status

    def _update(self, *, force: bool = False, **changes: object) -> None:
        with self._lock:
            self._status = replace(self._status, **changes)  # type: ignore[arg-type]
            status = self._status
        self._emit(status, force=force)

    def _emit(self, status: DownloadStatus, *, force: bool) -> None:
        if self._on_status is None:
            return
        now = self._clock()
        # Progress arrives per MiB from several threads: at most one report per interval reaches the sink.
        with self._lock:
            if not force and now - self._last_emit < self._min_interval:
                return
            self._last_emit = now
        self._on_status(status)


JobFactory = Callable[..., DownloadJob]


class DownloadManager:
    """Active and recent downloads; each job in its own daemon thread. Reports go to `on_status` from
    worker threads: a GUI must hop them to its own thread (a queued signal)."""

    def __init__(self, *, on_status: StatusSink, cache_dir: str | None = None, endpoint: str | None = None,
                 token: str | bool | None = None, job_factory: JobFactory | None = None,
                 keep_recent: int = 20) -> None:
        self._on_status = on_status
        self._cache_dir = cache_dir
        self._endpoint = endpoint
        self._token = token
        self._factory: JobFactory = job_factory or DownloadJob
        self._keep = keep_recent
        self._lock = threading.Lock()
        self._jobs: dict[str, DownloadJob] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._latest: dict[str, DownloadStatus] = {}

    def start(self, repo_id: str) -> bool:
        """Start (or resume) a download; False when one for this model is already running."""
        repo_id = validate_model_id(repo_id)
        with self._lock:
            old_job, old_thread = self._jobs.get(repo_id), self._threads.get(repo_id)
        if old_job is not None and old_thread is not None and old_thread.is_alive():
            if not old_job.cancelling:
                return False
            old_thread.join(2.0)  # Resume right after Cancel: the old job stops at its next chunk
            if old_thread.is_alive():
                return False
        with self._lock:
            job = self._factory(repo_id, cache_dir=self._cache_dir, endpoint=self._endpoint, token=self._token,
                                on_status=self._record)
            thread = threading.Thread(target=job.run, name=f"download {repo_id}", daemon=True)
            self._jobs[repo_id] = job
            self._threads[repo_id] = thread
            self._latest.pop(repo_id, None)
            self._latest[repo_id] = job.status
        thread.start()
        return True

    resume = start

    def cancel(self, repo_id: str) -> None:
        with self._lock:
            job = self._jobs.get(repo_id)
        if job is not None:
            job.cancel()

    def is_active(self, repo_id: str) -> bool:
        with self._lock:
            thread = self._threads.get(repo_id)
        return thread is not None and thread.is_alive()

    def statuses(self) -> list[DownloadStatus]:
        """Active downloads first, then the recent ones; newest first within each."""
        with self._lock:
            latest = list(self._latest.values())
        latest.reverse()
        return [s for s in latest if s.active] + [s for s in latest if not s.active]

    def status(self, repo_id: str) -> DownloadStatus | None:
        with self._lock:
            return self._latest.get(repo_id)

    def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel every download and wait for the threads (they stop at the next chunk)."""
        with self._lock:
            jobs, threads = list(self._jobs.values()), list(self._threads.values())
        for job in jobs:
            job.cancel()
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _record(self, status: DownloadStatus) -> None:
        with self._lock:
            self._latest[status.repo_id] = status
            finished = [k for k, s in self._latest.items() if not s.active]
            for key in finished[: max(0, len(finished) - self._keep)]:
                del self._latest[key]
        self._on_status(status)
