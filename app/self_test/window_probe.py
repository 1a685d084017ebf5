"""The window part of the self-test, run inside the app's own window run (see `app.ui.application`):
My Models must list every sample repo with its config facts, and the cards must be painted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.self_test.runner import CheckFailed
from app.self_test.sample_cache import SampleRepo

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

SETTLE_SECONDS = 60.0
MIN_COLOURS = 8  # a painted card has text, badges and a frame; an empty list is one or two colours

_expected: list[SampleRepo] = []
_seen: list[str] = []


def expect(samples: Sequence[SampleRepo]) -> None:
    _expected[:] = samples
    _seen.clear()


def seen() -> str:
    if not _seen:
        raise CheckFailed("the window ran, but its self-test probe never did")
    return _seen[-1]


async def probe(window: MainWindow) -> int:
    """Show and start the window, wait until My Models has settled, then look at what it holds and paints."""
    from PySide6.QtWidgets import QApplication

    from app.core.filters import FilterState
    from app.ui.screenshot import wait_settled
    from app.ui.tray import resource_path, template_icon

    window.show()
    window.start()
    if not await wait_settled(window, SETTLE_SECONDS):
        raise CheckFailed(f"My Models did not finish reading the sample cache within {SETTLE_SECONDS:.0f} s")
    model = window.local_model
    model.set_filter_state(FilterState())  # the person's saved filters must not hide a sample (not saved)
    entries = {entry.id: entry for entry in model.all_entries()}
    missing = [s.repo_id for s in _expected if s.repo_id not in entries]
    if missing:
        raise CheckFailed(f"My Models does not list {', '.join(missing)} ({len(entries)} models listed)")
    for sample in _expected:
        facts = entries[sample.repo_id].characteristics
        family = facts.architecture_family if facts is not None else None
        if family != sample.family:
            raise CheckFailed(f"{sample.repo_id} shows family {family!r}, not {sample.family!r}")
    QApplication.processEvents()
    image = window.local_view.viewport().grab().toImage()
    if image.isNull() or model.rowCount() == 0:
        raise CheckFailed("the list painted nothing")
    colours = {image.pixel(x, y) for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)}
    if len(colours) < MIN_COLOURS:
        raise CheckFailed(f"the list painted {len(colours)} colours only: the cards are not drawn")
    icon = resource_path("icons", "menubar-template.svg")
    if not icon.is_file() or template_icon(icon).isNull():
        raise CheckFailed(f"the menu-bar icon is missing at {icon}")
    _seen.append(f"{len(_expected)} sample models listed with their families and painted "
                 f"({image.width()}×{image.height()} list, {len(colours)} colours); icons found")
    return 0
