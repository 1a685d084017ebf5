"""What went wrong with a download or a plan, in words, and whether waiting and trying again can help.

huggingface_hub talks HTTP through httpx2 (not httpx), so its network errors are matched by class name
along the MRO as well as by type: the check stays right whichever HTTP package raised.
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass
from typing import Literal

FailureKind = Literal["gated", "not_found", "rate_limited", "disk_full", "network", "cancelled", "other"]

_NETWORK_CLASS_NAMES = frozenset({
    "ConnectError", "ConnectTimeout", "ReadTimeout", "WriteTimeout", "PoolTimeout", "TimeoutException",
    "NetworkError", "ReadError", "WriteError", "RemoteProtocolError", "OfflineModeIsEnabled",
    "ConnectionError", "TimeoutError", "LocalEntryNotFoundError", "DryRunError",
})


class DownloadCancelled(Exception):
    """Raised from inside a transfer when the person pressed Cancel."""


class NotEnoughSpace(Exception):
    """The files cannot fit on the disk holding the cache (checked before anything moves)."""


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    message: str  # one or two sentences a person can act on; never the token
    retryable: bool = False
    link: str | None = None  # the model page, for gated repos
    retry_after: float | None = None  # what the Hub asked us to wait (rate limit), in seconds


def describe_failure(exc: BaseException, repo_id: str, endpoint: str, *, has_token: bool,
                     free_bytes: int | None = None) -> Failure:
    page = f"{endpoint.rstrip('/')}/{repo_id}"
    if isinstance(exc, DownloadCancelled):
        return Failure("cancelled", "Cancelled.")
    if isinstance(exc, NotEnoughSpace):
        return Failure("disk_full", str(exc))
    exc = _root_cause(exc)
    names = {cls.__name__ for cls in type(exc).__mro__}
    if "OfflineModeIsEnabled" in names:
        return Failure("network", "HF_HUB_OFFLINE is set, so nothing is downloaded; unset it to download.")
    if "GatedRepoError" in names:
        return Failure("gated", _gated_message(exc, repo_id, page, has_token=has_token), link=page)
    if "RevisionNotFoundError" in names:
        return Failure("not_found", f"{repo_id} has no such revision on the Hub.")
    if "RepositoryNotFoundError" in names:
        hint = "" if has_token else " (or it is private and no token is set)"
        return Failure("not_found", f"{repo_id} was not found on the Hub{hint}.")
    if "RemoteEntryNotFoundError" in names:
        return Failure("not_found", f"A file of {repo_id} is missing on the Hub: {_first_line(exc)}")
    status = _status(exc)
    if status == 429:
        wait = _retry_after(exc)
        when = f"in {wait} s" if wait else "in a few minutes"
        return Failure("rate_limited", f"The Hub's rate limit was reached; try again {when}.", retryable=True,
                       retry_after=float(wait) if wait else None)
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        left = f" Only {_size(free_bytes)} is left." if free_bytes is not None else ""
        return Failure("disk_full", "The disk is full: the download stopped and its partial file was removed."
                       f"{left} Free space with Clean Up or by deleting models, then try again.")
    if status is not None and status >= 500:
        return Failure("network", f"The Hub answered {status}; it may be having trouble.", retryable=True)
    if names & _NETWORK_CLASS_NAMES or "Consistency check failed" in str(exc):
        return Failure("network", "The connection to the Hub was lost.", retryable=True)
    if status is not None:
        return Failure("other", f"The Hub answered {status}: {_first_line(exc)}")
    return Failure("other", f"{type(exc).__name__}: {_first_line(exc)}")


def _root_cause(exc: BaseException) -> BaseException:
    """huggingface_hub wraps the Hub's answer ("cannot reach the Hub, nothing cached" / "dry run impossible")
    around the error that says why (429, 5xx, connection refused): judge that one."""
    seen = 0
    while type(exc).__name__ in ("DryRunError", "LocalEntryNotFoundError") and exc.__cause__ is not None \
            and seen < 5:
        exc, seen = exc.__cause__, seen + 1
    return exc


def _gated_message(exc: BaseException, repo_id: str, page: str, *, has_token: bool) -> str:
    text = str(exc).lower()
    if not has_token:
        return (f"{repo_id} is gated: sign in with a Hugging Face token (HF_TOKEN or `hf auth login`) "
                f"and accept its terms at {page}.")
    if "awaiting" in text or "pending" in text:
        return f"Your request to access {repo_id} is awaiting approval by its authors ({page})."
    return f"Your token has no access to {repo_id} yet: accept its terms or ask for access at {page}."


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    return code if isinstance(code, int) else None


def _retry_after(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    limit = headers.get("ratelimit") or ""
    match = re.search(r"t=(\d+)", limit)
    if match:
        return int(match.group(1))
    after = headers.get("retry-after") or ""
    return int(after) if after.isdigit() else None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def _size(num: int | None) -> str:
    from app.core import formatting

    return formatting.size(num) or "?"
