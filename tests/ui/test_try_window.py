"""Try from the window, as a person does it: right-click a card of My Models, Try…, ask, read the answer.

The whole path is real: the cache scan lists a tiny model built on disk, the context menu opens its Try
panel, and the answer comes from mlx-lm in the worker process.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from app.ui.try_feature import TryFeature
from tests.cachebuilder import CacheBuilder
from tests.tinymodel import LLAMA, NO_WEIGHTS, add_try_models, reference_answer

SLOW = 60_000


@pytest.fixture
def try_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CacheBuilder:
    root = tmp_path / "hub"
    builder = CacheBuilder(root)
    add_try_models(builder)
    monkeypatch.setenv("HF_HUB_CACHE", str(root))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return builder


def feature_of(window: Any) -> TryFeature:
    feature = getattr(window, "try_feature", None)
    assert isinstance(feature, TryFeature), "the window has no Try feature wired in"
    return feature


def open_menu(qtbot: QtBot, window: Any, repo_id: str) -> QMenu:
    """Right-click the card: the view selects it and the window pops its menu."""
    qtbot.waitUntil(lambda: window.local_model.row_of(repo_id) is not None, timeout=10_000)
    view = window.local_view
    index = window.local_model.index(window.local_model.row_of(repo_id), 0)
    view.scrollTo(index)
    view.customContextMenuRequested.emit(view.visualRect(index).center())
    menu = view.findChild(QMenu)
    assert menu is not None
    return menu


def test_try_from_the_context_menu_streams_the_answer(qtbot: QtBot, qloop: asyncio.AbstractEventLoop,
                                                      try_cache: CacheBuilder, make_window: Any) -> None:
    window = make_window()
    feature = feature_of(window)
    menu = open_menu(qtbot, window, LLAMA)
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts.index("Try…") == texts.index("Show Specs") + 1
    try_action = next(a for a in menu.actions() if a.text() == "Try…")
    menu.close()
    try_action.trigger()
    panel = feature.panels.panels[LLAMA]
    qtbot.waitExposed(panel)
    assert panel.windowTitle() == f"Try {LLAMA}"

    qtbot.keyClicks(panel.prompt, "Hello there")
    panel.temperature.setValue(0.0)
    panel.max_tokens.setValue(16)
    qtbot.mouseClick(panel.try_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.figures is not None, timeout=SLOW)
    expected, _ = reference_answer(try_cache.repos[("model", LLAMA)].snapshot_dir, "Hello there", 16)
    assert panel.answer.toPlainText() == expected
    assert panel.tiles.isVisible()

    # Closing the window ends the worker (make_window's teardown awaits window.aclose()).
    assert feature.panels.runner.worker_pid is not None


def test_the_shortcut_opens_the_selected_card_and_no_weights_is_said(
        qtbot: QtBot, qloop: asyncio.AbstractEventLoop, try_cache: CacheBuilder, make_window: Any) -> None:
    window = make_window()
    feature = feature_of(window)
    menu = open_menu(qtbot, window, NO_WEIGHTS)  # selects the card under the pointer
    menu.close()
    panel = feature.try_selected()
    assert panel is not None and panel.model_id == NO_WEIGHTS
    qtbot.keyClicks(panel.prompt, "Hello")
    qtbot.mouseClick(panel.try_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.problem.isVisible(), timeout=SLOW)
    assert "no weights on disk" in panel.problem_label.text() and panel.download_button.isVisible()


def test_command_t_tries_the_selected_card(qtbot: QtBot, qloop: asyncio.AbstractEventLoop, try_cache: CacheBuilder,
                                           make_window: Any) -> None:
    window = make_window()
    feature = feature_of(window)
    qtbot.waitUntil(lambda: window.local_model.row_of(LLAMA) is not None, timeout=10_000)
    view = window.local_view
    view.setCurrentIndex(window.local_model.index(window.local_model.row_of(LLAMA), 0))
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert LLAMA in feature.panels.panels


def test_a_model_the_fit_verdict_calls_too_large_asks_first(
        qtbot: QtBot, qloop: asyncio.AbstractEventLoop, try_cache: CacheBuilder, make_window: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLX_MANAGER_MEMORY_BYTES", "1000000")  # 1 MB: even the tiny model is too large
    window = make_window()
    if not hasattr(window, "runtime_facts"):
        pytest.skip("the fit verdict is not wired into the window")
    feature = feature_of(window)

    def judged() -> bool:
        row = window.local_model.row_of(LLAMA)
        entry = window.local_model.entry_at(row) if row is not None else None
        # The exact count too: the verdict then stands on the measured figure, and nothing is left running.
        return (entry is not None and entry.runtime is not None and entry.runtime.memory is not None
                and entry.runtime.exact_parameters is not None)

    qtbot.waitUntil(judged, timeout=SLOW)
    menu = open_menu(qtbot, window, LLAMA)
    menu.close()
    panel = feature.try_selected()
    assert panel is not None and panel.too_large is not None
    assert panel.too_large.startswith(f"{LLAMA} needs about") and "more than the" in panel.too_large
    assert not panel.preparing and feature.panels.runner.worker_pid is None  # nothing loads before a yes
    asked: list[str] = []
    panel.confirm = lambda warning: asked.append(warning) is not None  # says no
    qtbot.keyClicks(panel.prompt, "Hello")
    qtbot.mouseClick(panel.try_button, Qt.MouseButton.LeftButton)
    assert asked == [panel.too_large] and not panel.running
