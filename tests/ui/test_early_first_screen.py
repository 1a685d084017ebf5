"""My Models at launch from the early first pass: the first screen's cards at once, the other cards' details as
they are read, sizes after; sorted on what only a config says, the list waits for every card's details."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import replace
from typing import Any

from pytestqt.qtbot import QtBot

from app.core.model_entry import ConfigStatus
from app.services.early_scan import EarlyScan
from app.services.local_cache import fill_sizes, scan_first_pass
from app.ui.roles import ENTRY_ROLE
from tests.cachebuilder import CacheBuilder


def early_scan(cache: CacheBuilder) -> tuple[EarlyScan, list[Any]]:
    """An early pass as the child sends it: all but the first repo known by name only at first."""
    models = scan_first_pass(cache.root)
    first = [models[0], *(replace(m, characteristics=None, is_mlx=False, pending=True) for m in models[1:])]
    scan = EarlyScan(rest=Future(), sizes=Future())
    scan.first.set_result((first, [m.to_model_entry() for m in first]))
    return scan, models


def shown(window: Any) -> list[Any]:
    model = window.local_model
    return [model.index(row, 0).data(ENTRY_ROLE) for row in range(model.rowCount())]


def start(make_window: Any, scan: EarlyScan, sort: str | None = None) -> Any:
    window = make_window(start=False)
    if sort is not None:
        window.local_model.set_sort(sort)
    # What the list held each time its count changed: what a person could have seen.
    window.seen = []
    window.local_model.count_changed.connect(
        lambda *_: window.seen.append([e.config_status for e in shown(window)]))
    c = window.controller
    c.early_scan, c.early_rest, c.early_sizes = scan.first, scan.rest, scan.sizes
    window.start()
    return window


def test_the_first_screen_then_every_card_then_sizes(qtbot: QtBot, hf_cache: CacheBuilder, make_window: Any) -> None:
    scan, models = early_scan(hf_cache)
    window = start(make_window, scan)
    qtbot.waitUntil(lambda: window.controller.local_scanned, timeout=10_000)
    cards = shown(window)
    assert len(cards) == len(models)  # every card and the count at once
    waiting = [e for e in cards if e.config_status is ConfigStatus.PENDING]
    assert len(waiting) == len(models) - 1 and all(e.config_error is None for e in waiting)
    assert any(ConfigStatus.PENDING in statuses for statuses in window.seen)
    assert scan.rest is not None and scan.sizes is not None
    scan.rest.set_result((models, [m.to_model_entry() for m in models]))
    qtbot.waitUntil(lambda: all(e.config_status is not ConfigStatus.PENDING for e in shown(window)), timeout=10_000)
    assert {e.id: e.characteristics for e in shown(window)} == {m.id: m.characteristics for m in models}
    assert not window.controller.local_sized
    scan.sizes.set_result(fill_sizes(models, hf_cache.root))
    qtbot.waitUntil(lambda: window.controller.local_sized, timeout=10_000)
    assert any(e.size_on_disk for e in shown(window))


def test_sorted_by_parameters_the_list_waits_for_every_card(qtbot: QtBot, hf_cache: CacheBuilder,
                                                            make_window: Any) -> None:
    scan, models = early_scan(hf_cache)
    window = start(make_window, scan, sort="parameters")
    assert scan.rest is not None
    qtbot.waitUntil(lambda: window.controller.early_rest is None, timeout=10_000)  # the scan is under way
    scan.rest.set_result((models, [m.to_model_entry() for m in models]))
    qtbot.waitUntil(lambda: window.controller.local_scanned, timeout=10_000)
    assert window.seen and window.seen[-1] and len(shown(window)) == len(models)
    # Cards known by name only would have been misplaced in this order: none was ever shown.
    assert not any(ConfigStatus.PENDING in statuses for statuses in window.seen)
    assert scan.sizes is not None
    scan.sizes.set_result(fill_sizes(models, hf_cache.root))
    qtbot.waitUntil(lambda: window.controller.local_sized, timeout=10_000)
