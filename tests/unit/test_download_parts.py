"""The small parts of downloads: how a transfer reads, how errors become words, the byte-counting
progress class huggingface_hub is given, and the order of the Downloads list."""

from __future__ import annotations

import errno
import threading
from typing import Any, ClassVar

import httpx2
import pytest
from huggingface_hub.errors import DryRunError, GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

from app.core import transfer_text
from app.services.download_errors import DownloadCancelled, describe_failure
from app.services.downloads import DownloadManager, DownloadState, DownloadStatus
from app.services.transfer_progress import ByteCounter, tqdm_class_for

PAGE = "https://hub.example/org/m"


def test_transfer_words() -> None:
    assert transfer_text.progress_line(1_234_000_000, 4_600_000_000, 38e6, 88.4) == (
        "1.2 GB of 4.6 GB · 26% · 38.0 MB/s · 1 min 28 s left")
    assert transfer_text.progress_line(0, 10, None, None) == "0 B of 10 B · 0%"
    assert transfer_text.percent(999, 1000) == 99 and transfer_text.percent(1000, 1000) == 100
    assert transfer_text.percent(5, 0) is None
    assert transfer_text.duration(3 * 3600 + 60) == "3 h 1 min" and transfer_text.duration(float("inf")) is None


def _http_error(cls: type[HfHubHTTPError], status: int, message: str, headers: dict[str, str] | None = None
                ) -> HfHubHTTPError:
    request = httpx2.Request("GET", "https://hub.example/x")
    response = httpx2.Response(status, headers=headers or {}, request=request)
    return cls(message, response=response)


def failure(exc: BaseException, *, has_token: bool = False, free: int | None = None) -> Any:
    return describe_failure(exc, "org/m", "https://hub.example", has_token=has_token, free_bytes=free)


def test_gated_no_token_not_approved_and_pending_are_told_apart() -> None:
    gated = _http_error(GatedRepoError, 401, "Access to model org/m is restricted. Please log in.")
    assert "sign in" in failure(gated).message and failure(gated).link == PAGE
    refused = _http_error(GatedRepoError, 403, "you are not in the authorized list")
    assert "no access to org/m yet" in failure(refused, has_token=True).message
    pending = _http_error(GatedRepoError, 403, "Your request to access model org/m is awaiting a review")
    assert "awaiting approval" in failure(pending, has_token=True).message


def test_errors_wrapped_by_huggingface_hub_are_judged_by_their_cause() -> None:
    limited = _http_error(HfHubHTTPError, 429, "Too Many Requests", {"RateLimit": '"api";r=0;t=42'})
    try:
        raise DryRunError("Dry run cannot be performed") from limited
    except DryRunError as wrapped:
        result = failure(wrapped)
    assert result.kind == "rate_limited" and result.retryable and "in 42 s" in result.message
    try:
        raise DryRunError("Dry run cannot be performed") from httpx2.ConnectError("refused")
    except DryRunError as offline:
        assert failure(offline).kind == "network"


def test_other_failures_in_words() -> None:
    missing = _http_error(RepositoryNotFoundError, 404, "not found")
    assert failure(missing).kind == "not_found" and "private" in failure(missing).message
    full = OSError(errno.ENOSPC, "No space left on device")
    assert failure(full, free=1_000_000).message.startswith("The disk is full")
    assert "Only 1.0 MB is left" in failure(full, free=1_000_000).message
    assert failure(_http_error(HfHubHTTPError, 503, "down")).retryable
    assert failure(OSError("Consistency check failed: file should be of size 5")).kind == "network"
    assert failure(DownloadCancelled()).kind == "cancelled"
    from huggingface_hub.errors import OfflineModeIsEnabled

    try:
        raise DryRunError("Dry run cannot be performed") from OfflineModeIsEnabled("offline")
    except DryRunError as offline:
        assert "HF_HUB_OFFLINE is set" in failure(offline).message and not failure(offline).retryable
    assert failure(ValueError("odd")).kind == "other" and not failure(ValueError("odd")).retryable


def test_the_progress_class_counts_disk_bytes_once_and_stops_on_cancel() -> None:
    seen: list[int] = []
    counter = ByteCounter(seen.append)
    bar_class = tqdm_class_for(counter)
    network = bar_class(desc="Downloading bytes", total=0, unit="B")
    disk = bar_class(desc="Reconstructing (incomplete total...)", total=0, unit="B")
    files = bar_class(desc="Fetching 3 files", total=3)
    with files:
        network.update(100)
        disk.update(100)
        disk.update(50)
        files.update(1)
        disk.update(-50)  # huggingface_hub rolls back bytes it has to fetch again
    assert counter.total == 100 and seen == [100, 150, 100]
    counter.cancelled.set()
    with pytest.raises(DownloadCancelled):
        disk.update(10)
    with pytest.raises(DownloadCancelled):
        bar_class(desc="Fetching 1 files")


class _FakeJob:
    """Reports what it is told to, then waits to be released (or cancelled)."""

    def __init__(self, repo_id: str, *, on_status: Any, **_kw: Any) -> None:
        self.repo_id = repo_id
        self.on_status = on_status
        self.release = threading.Event()
        self.cancelling = False
        self.status = DownloadStatus(repo_id, DownloadState.PLANNING)
        _FakeJob.made[repo_id] = self

    made: ClassVar[dict[str, _FakeJob]] = {}

    def cancel(self) -> None:
        self.cancelling = True
        self.release.set()

    def run(self) -> DownloadStatus:
        self.on_status(DownloadStatus(self.repo_id, DownloadState.DOWNLOADING, 1, 2))
        self.release.wait(10)
        self.status = DownloadStatus(self.repo_id, DownloadState.CANCELLED if self.cancelling else DownloadState.DONE)
        self.on_status(self.status)
        return self.status


def test_the_list_shows_active_first_and_one_download_per_model() -> None:
    reports: list[DownloadStatus] = []
    manager = DownloadManager(on_status=reports.append, job_factory=_FakeJob)  # type: ignore[arg-type]
    assert manager.start("org/a") and manager.start("org/b")
    assert not manager.start("org/a")  # already running
    _FakeJob.made["org/a"].release.set()
    manager._threads["org/a"].join(5)
    assert [s.repo_id for s in manager.statuses()] == ["org/b", "org/a"]
    assert manager.status("org/a").state is DownloadState.DONE  # type: ignore[union-attr]
    manager.cancel("org/b")
    assert manager.start("org/b")  # Resume right after Cancel waits for the old job to stop
    manager.shutdown(5)
    assert not any(t.is_alive() for t in manager._threads.values())
