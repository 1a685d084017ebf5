"""`download ORG/NAME [--dry-run] [--json]`: fetch what MLX needs of a model into the Hugging Face cache.

Prints the size first (files, total, already cached, free space) and proceeds without asking. `--dry-run`
only lists what would be fetched. With `--json`, each line on stdout is one JSON object: first
`{"event": "plan", ...}`, then `{"event": "progress", ...}` and a last `{"event": "done"|"failed"|"paused"|
"cancelled", ...}` (the keys of `DownloadStatus.to_json`); `--dry-run --json` prints the plan object alone.

Exit codes: 0 done; 2 an invalid model id; 3 a remote failure (gated, not found, rate limited, connection
lost); 4 not enough disk space; 130 interrupted (finished files are kept for the next run).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from typing import Any

from app.commands.output import fail
from app.core import formatting
from app.core.model_id import InvalidModelId, validate_model_id

EXIT_REMOTE = 3
EXIT_NO_SPACE = 4
BAR_WIDTH = 30


def run(args: argparse.Namespace) -> int:
    try:
        repo_id = validate_model_id(args.model)
    except InvalidModelId as exc:
        return fail(f"invalid model id: {exc}", code=2)
    if args.dry_run:
        return _dry_run(repo_id, as_json=args.json)
    return _download(repo_id, as_json=args.json)


def _dry_run(repo_id: str, *, as_json: bool) -> int:
    from app.services.download_errors import describe_failure
    from app.services.download_plan import make_plan
    from app.services.local_cache import default_cache_dir
    from app.services.transfer_progress import ByteCounter, tqdm_class_for

    try:
        plan = make_plan(repo_id, cache_dir=default_cache_dir(), tqdm_class=tqdm_class_for(ByteCounter()))
    except Exception as exc:  # noqa: BLE001 - every failure becomes one line in words and an exit code
        failure = describe_failure(exc, repo_id, _endpoint(), has_token=_has_token())
        return fail(failure.message, code=EXIT_REMOTE)
    if as_json:
        json.dump(plan.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    _print_plan(plan, verbose=True)
    if not plan.fits:
        print(plan.no_room_message())
    return 0


def _download(repo_id: str, *, as_json: bool) -> int:
    from app.services.downloads import DownloadJob, DownloadState, DownloadStatus

    shown_plan = False
    bar = _Bar(enabled=not as_json and sys.stderr.isatty())

    def on_status(status: DownloadStatus) -> None:
        nonlocal shown_plan
        if status.plan is not None and not shown_plan:
            shown_plan = True
            if as_json:
                _json_line({"event": "plan", **status.plan.to_json()})
            else:
                _print_plan(status.plan, verbose=False)
        if as_json and status.state is DownloadState.PLANNING:
            return  # nothing to say before the plan: the size comes first
        if as_json:
            event = "progress" if status.active else status.state.value
            _json_line({"event": event, **status.to_json()})
        elif status.state is DownloadState.RETRYING:
            bar.clear()
            print(f"mlx-manager: {status.message}", file=sys.stderr)
        elif status.state is DownloadState.DOWNLOADING:
            bar.show(status.done_bytes, status.total_bytes, status.progress_text())

    job = DownloadJob(repo_id, on_status=on_status, min_interval=0.5 if as_json else 0.1)
    worker = threading.Thread(target=job.run, name=f"download {repo_id}", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        job.cancel()
        worker.join()
        bar.clear()
        print("mlx-manager: cancelled; finished files are kept and the next run skips them.", file=sys.stderr)
        return 130
    bar.clear()
    final = job.status
    if final.state is DownloadState.DONE:
        if not as_json:
            print(f"Downloaded {repo_id} ({formatting.size(final.total_bytes)}) to {final.snapshot_path}")
        return 0
    code = EXIT_NO_SPACE if final.failure is not None and final.failure.kind == "disk_full" else EXIT_REMOTE
    if as_json:
        return code
    return fail(final.message, code=code)


def _print_plan(plan: Any, *, verbose: bool) -> None:
    fetch = [f for f in plan.files if not f.cached]
    print(f"{plan.repo_id}: {len(plan.files)} files, {formatting.size(plan.total_bytes)}"
          f" ({formatting.size(plan.cached_bytes)} already cached, {formatting.size(plan.to_fetch_bytes)}"
          f" to fetch; {formatting.size(plan.free_bytes)} free)")
    if verbose:
        for f in plan.files:
            state = "cached" if f.cached else "fetch"
            print(f"  {state:<6} {formatting.size(f.size) or '?':>9}  {f.path}")
        if not fetch:
            print("Everything is already in the cache.")
    sys.stdout.flush()


def _json_line(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class _Bar:
    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._width = 0

    def show(self, done: int, total: int, text: str) -> None:
        if not self.enabled:
            return
        filled = int(BAR_WIDTH * done / total) if total else 0
        line = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {text}"
        sys.stderr.write("\r" + line.ljust(self._width))
        sys.stderr.flush()
        self._width = len(line)

    def clear(self) -> None:
        if self.enabled and self._width:
            sys.stderr.write("\r" + " " * self._width + "\r")
            sys.stderr.flush()
            self._width = 0


def _endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT


def _has_token() -> bool:
    from huggingface_hub import get_token

    return get_token() is not None

