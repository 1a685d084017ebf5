"""My Models follows a config.json edited in place by another tool, with no F5: through its link (seen by
the file watch at once) or saved as a new file over it (seen by the periodic check)."""

from __future__ import annotations

import json
import os
from typing import Any

from pytestqt.qtbot import QtBot

from app.core.model_entry import ConfigStatus
from tests.cachebuilder import CacheBuilder, qwen_config

QWEN = "mlx-community/Qwen3-8B-4bit"


def context_of(window: Any, repo_id: str) -> int | None:
    entry = window.local_model.entry(repo_id)
    return None if entry is None or entry.characteristics is None else entry.characteristics.max_position_embeddings


def start(qtbot: QtBot, make_window: Any, poll_ms: int) -> Any:
    window = make_window(watch_poll_ms=poll_ms)
    qtbot.waitUntil(lambda: window.controller.local_sized, timeout=10_000)
    qtbot.waitUntil(lambda: window.watcher._signature is not None, timeout=5_000)
    return window


def test_an_edit_written_through_the_link_shows_without_a_refresh(qtbot: QtBot, hf_cache: CacheBuilder,
                                                                  make_window: Any) -> None:
    # A poll far longer than the test: only the file watch can notice in time.
    window = start(qtbot, make_window, poll_ms=600_000)
    before = context_of(window, QWEN)
    assert before is not None and before != 12_345
    link = hf_cache.repos[("model", QWEN)].snapshot_file("config.json")
    link.write_text(json.dumps({**qwen_config(bits=4), "max_position_embeddings": 12_345}))
    qtbot.waitUntil(lambda: context_of(window, QWEN) == 12_345, timeout=10_000)


def test_a_config_saved_over_the_link_and_then_broken_is_followed(qtbot: QtBot, hf_cache: CacheBuilder,
                                                                  make_window: Any) -> None:
    window = start(qtbot, make_window, poll_ms=150)
    link = hf_cache.repos[("model", QWEN)].snapshot_file("config.json")
    fresh = link.parent / "config.json.tmp"
    fresh.write_text(json.dumps({**qwen_config(bits=4), "max_position_embeddings": 54_321}))
    os.replace(fresh, link)  # how many editors save
    qtbot.waitUntil(lambda: context_of(window, QWEN) == 54_321, timeout=10_000)
    link.write_text('{"model_type": "qwen3", ')  # cut short: no longer JSON
    qtbot.waitUntil(lambda: window.local_model.entry(QWEN).config_status is ConfigStatus.UNAVAILABLE,
                    timeout=10_000)
    row = window.local_model.row_of(QWEN)
    window.local_model.toggle_expanded(row)
    layout = window.local_view.itemDelegate().layout_at(window.local_model.index(row, 0))
    (cell,) = layout.specs
    assert cell.item.value.startswith("none, ") and "JSON" in cell.item.value  # says why, not "not known yet"
