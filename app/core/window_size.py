"""The window's size limits, and `--size WxH` read strictly (the CLI refuses what it cannot honour)."""

from __future__ import annotations

import re

# Cards work down to about this width (badges wrap); below it the window would cut them off.
MIN_WIDTH = 560
MIN_HEIGHT = 400
MIN_SIZE = (MIN_WIDTH, MIN_HEIGHT)
MAX_SIDE = 16384  # Qt's own limit for a window side

_SIZE = re.compile(r"\s*(\d{1,6})\s*[xX×]\s*(\d{1,6})\s*")


def parse_window_size(text: str) -> tuple[int, int]:
    """"1200x800" -> (1200, 800). Raises ValueError with a sentence when the text is not a usable size."""
    match = _SIZE.fullmatch(text)
    if match is None:
        raise ValueError(f"--size {text!r} is not WIDTHxHEIGHT (for example 1200x800)")
    width, height = int(match.group(1)), int(match.group(2))
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        raise ValueError(f"--size {width}x{height} is smaller than the window's minimum, "
                         f"{MIN_WIDTH}x{MIN_HEIGHT}")
    if width > MAX_SIDE or height > MAX_SIDE:
        raise ValueError(f"--size {width}x{height} is larger than {MAX_SIDE} pixels on a side")
    return width, height
