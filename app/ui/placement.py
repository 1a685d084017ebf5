"""Where the quick-search popup goes: a pure function over plain rectangles, so every case is testable
without a screen.

Under the menu-bar icon when its geometry is known (above it when the icon sits at the bottom of a screen,
as on a Windows or Linux taskbar); otherwise at the top right of the screen under the cursor. Always
inside that screen's available area (no menu bar, no Dock), shrunk if the screen is smaller than the popup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

GAP = 6  # between the icon and the popup
MARGIN = 12  # from the screen's edge when there is no icon to anchor to


class Box(NamedTuple):
    x: int
    y: int
    w: int
    h: int

    @property
    def empty(self) -> bool:
        return self.w <= 0 or self.h <= 0

    @property
    def right(self) -> int:  # exclusive
        return self.x + self.w

    @property
    def bottom(self) -> int:  # exclusive
        return self.y + self.h

    def contains(self, px: int, py: int) -> bool:
        return self.x <= px < self.right and self.y <= py < self.bottom

    def overlap(self, other: Box) -> int:
        w = min(self.right, other.right) - max(self.x, other.x)
        h = min(self.bottom, other.bottom) - max(self.y, other.y)
        return w * h if w > 0 and h > 0 else 0


class ScreenArea(NamedTuple):
    geometry: Box  # the whole screen
    available: Box  # without the menu bar, the Dock, panels


def _screen_for_anchor(anchor: Box, screens: Sequence[ScreenArea]) -> ScreenArea:
    cx, cy = anchor.x + anchor.w // 2, anchor.y + anchor.h // 2
    for screen in screens:
        if screen.geometry.contains(cx, cy):
            return screen
    return max(screens, key=lambda s: s.geometry.overlap(anchor))


def _screen_for_point(x: int, y: int, screens: Sequence[ScreenArea]) -> ScreenArea:
    for screen in screens:
        if screen.geometry.contains(x, y):
            return screen
    return screens[0]  # the primary screen comes first


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


def place_popup(width: int, height: int, anchor: Box | None, screens: Sequence[ScreenArea],
                cursor: tuple[int, int]) -> Box:
    """The popup's global geometry. `screens`: the primary first; `anchor`: the icon, or None/empty."""
    if not screens:
        return Box(MARGIN, MARGIN, width, height)
    if anchor is not None and not anchor.empty:
        screen = _screen_for_anchor(anchor, screens)
        area = screen.available
        w, h = min(width, area.w), min(height, area.h)
        x = anchor.x + anchor.w // 2 - w // 2
        icon_low = anchor.y + anchor.h // 2 > screen.geometry.y + screen.geometry.h // 2
        y = anchor.y - GAP - h if icon_low else anchor.bottom + GAP
    else:
        screen = _screen_for_point(cursor[0], cursor[1], screens)
        area = screen.available
        w, h = min(width, area.w), min(height, area.h)
        x = area.right - MARGIN - w
        y = area.y + MARGIN
    return Box(_clamp(x, area.x, area.right - w), _clamp(y, area.y, area.bottom - h), w, h)
