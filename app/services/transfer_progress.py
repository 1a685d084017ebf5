"""A `tqdm_class` for `snapshot_download` that counts bytes and checks for Cancel, drawing nothing.

`snapshot_download` makes three bars from the class it is given: "Downloading bytes" (network),
"Reconstructing…" (bytes written to disk; every file's chunks land here) and "Fetching N files". Only the
disk bar is counted, so a byte is counted once whichever path (HTTP or Xet) wrote it. Every bar checks
for Cancel on each update: raising there unwinds the transfer at the next chunk, and huggingface_hub
deletes that file's partial data on the way out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

BytesSink = Callable[[int], None]


class ByteCounter:
    """Thread-safe running count of bytes written, plus the cancel flag the bars check."""

    def __init__(self, on_bytes: BytesSink | None = None, *, cancelled: threading.Event | None = None) -> None:
        self._lock = threading.Lock()
        self.total = 0
        self.cancelled = cancelled if cancelled is not None else threading.Event()
        self._on_bytes = on_bytes

    def add(self, n: int) -> None:
        with self._lock:
            self.total += n
            total = self.total
        if self._on_bytes is not None:
            self._on_bytes(total)

    def check(self) -> None:
        if self.cancelled.is_set():
            from app.services.download_errors import DownloadCancelled

            raise DownloadCancelled()


def tqdm_class_for(counter: ByteCounter) -> type[Any]:
    """A fresh class bound to `counter` (huggingface_hub takes a class, not an instance)."""

    class _Bar:
        _counter = counter

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.desc = str(kwargs.get("desc") or "")
            self._counts = self.desc.startswith("Reconstructing")
            self.total = kwargs.get("total") or 0
            self.n = kwargs.get("initial") or 0
            self.format_dict: dict[str, Any] = {"rate": None}
            self._counter.check()

        def __enter__(self) -> _Bar:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def update(self, n: float | None = 1) -> None:
            self._counter.check()
            step = int(n or 0)
            self.n += step
            if self._counts and step:
                self._counter.add(step)

        def refresh(self, *args: Any, **kwargs: Any) -> None:
            return None

        def close(self) -> None:
            return None

        def clear(self, *args: Any, **kwargs: Any) -> None:
            return None

        def set_description(self, desc: str | None = None, refresh: bool = True) -> None:
            return None

        def set_description_str(self, desc: str | None = None, refresh: bool = True) -> None:
            return None

        def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
            return None

        def set_postfix(self, *args: Any, **kwargs: Any) -> None:
            return None

    return _Bar
