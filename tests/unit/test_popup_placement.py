"""Where the quick search opens: under the icon, above a bottom taskbar icon, on the icon's own screen,
at the top right of the cursor's screen without an icon, and never outside the usable area."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.ui.placement import GAP, MARGIN, Box, ScreenArea, place_popup

# A 1440x900 laptop with a 25 px menu bar and a Dock 70 px high; a 2560x1440 display to its right.
LAPTOP = ScreenArea(Box(0, 0, 1440, 900), Box(0, 25, 1440, 805))
EXTERNAL = ScreenArea(Box(1440, 0, 2560, 1440), Box(1440, 25, 2560, 1415))
W, H = 560, 420


def inside(popup: Box, area: Box) -> bool:
    return area.x <= popup.x and popup.right <= area.right and area.y <= popup.y and popup.bottom <= area.bottom


def test_icon_at_the_top_right_opens_right_under_it_centred() -> None:
    icon = Box(1300, 0, 22, 24)
    popup = place_popup(W, H, icon, [LAPTOP], (10, 10))
    assert popup.y == icon.bottom + GAP
    # Centred on the icon would cross the right edge: pushed back inside, flush with it.
    assert popup.right == LAPTOP.available.right
    assert (popup.w, popup.h) == (W, H)


def test_icon_in_the_middle_of_the_bar_is_centred_under_it() -> None:
    icon = Box(700, 0, 22, 24)
    popup = place_popup(W, H, icon, [LAPTOP], (0, 0))
    assert popup.x + popup.w // 2 == icon.x + icon.w // 2
    assert popup.y == 24 + GAP


def test_icon_at_the_top_left_is_clamped_to_the_left_edge() -> None:
    icon = Box(4, 0, 22, 24)
    popup = place_popup(W, H, icon, [LAPTOP], (0, 0))
    assert popup.x == 0
    assert popup.y == icon.bottom + GAP
    assert inside(popup, LAPTOP.available)


def test_icon_at_the_bottom_opens_above_it() -> None:
    taskbar = ScreenArea(Box(0, 0, 1920, 1080), Box(0, 0, 1920, 1040))
    icon = Box(1800, 1048, 24, 24)
    popup = place_popup(W, H, icon, [taskbar], (0, 0))
    assert popup.bottom == taskbar.available.bottom  # right on top of the taskbar, over the icon
    assert popup.right <= 1920
    floating = place_popup(W, H, Box(900, 700, 24, 24), [taskbar], (0, 0))  # a dock-like panel higher up
    assert floating.bottom == 700 - GAP
    assert inside(popup, taskbar.available)


def test_icon_on_a_second_screen_opens_on_that_screen() -> None:
    icon = Box(3900, 0, 22, 24)
    popup = place_popup(W, H, icon, [LAPTOP, EXTERNAL], (100, 100))
    assert inside(popup, EXTERNAL.available)
    assert popup.y == icon.bottom + GAP


def test_no_geometry_opens_at_the_top_right_of_the_screen_under_the_cursor() -> None:
    for anchor in (None, Box(0, 0, 0, 0)):
        on_laptop = place_popup(W, H, anchor, [LAPTOP, EXTERNAL], (300, 500))
        assert on_laptop == Box(1440 - MARGIN - W, 25 + MARGIN, W, H)
        on_external = place_popup(W, H, anchor, [LAPTOP, EXTERNAL], (2000, 800))
        assert on_external == Box(1440 + 2560 - MARGIN - W, 25 + MARGIN, W, H)


def test_cursor_off_every_screen_uses_the_primary() -> None:
    popup = place_popup(W, H, None, [LAPTOP, EXTERNAL], (-500, -500))
    assert inside(popup, LAPTOP.available)


def test_a_popup_larger_than_the_screen_shrinks_to_it() -> None:
    tiny = ScreenArea(Box(0, 0, 400, 300), Box(0, 20, 400, 280))
    popup = place_popup(W, H, Box(380, 0, 20, 20), [tiny], (0, 0))
    assert popup == Box(0, 20, 400, 280)


boxes = st.builds(Box, st.integers(-3000, 6000), st.integers(-3000, 3000), st.integers(0, 60), st.integers(0, 60))


@given(anchor=st.one_of(st.none(), boxes), cursor=st.tuples(st.integers(-4000, 8000), st.integers(-4000, 4000)),
       width=st.integers(1, 3000), height=st.integers(1, 2000))
def test_always_inside_one_screens_available_area(anchor: Box | None, cursor: tuple[int, int],
                                                  width: int, height: int) -> None:
    popup = place_popup(width, height, anchor, [LAPTOP, EXTERNAL], cursor)
    assert inside(popup, LAPTOP.available) or inside(popup, EXTERNAL.available)
    assert 0 < popup.w <= width and 0 < popup.h <= height
