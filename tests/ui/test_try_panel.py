"""The Try panel driven like a person: type a prompt, press Try, watch the answer stream, Stop, a worker
killed mid-answer then Retry, a model without weights, a model too large for this machine.

The model runs for real: the worker process (`python -m app --worker`) with mlx-lm on a tiny model.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.services.mlx_runner import MlxRunner
from app.ui.try_panel import TryPanel, TryPanels
from tests.cachebuilder import CacheBuilder, Repo
from tests.tinymodel import LLAMA, NO_WEIGHTS, add_try_models, reference_answer
from tests.ui.conftest import run

PROMPT = "Tell me about the sea."
SLOW = 60_000  # ms: the first answer starts a worker process and imports mlx-lm
ENDLESS = 100_000  # tokens: the tiny model never ends by itself, so only Stop (or a kill) ends this


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Repo]]:
    root = tmp_path_factory.mktemp("try-ui") / "hub"
    return root, add_try_models(CacheBuilder(root))


@pytest.fixture
def panels(qtbot: QtBot, qloop: asyncio.AbstractEventLoop, models: tuple[Path, dict[str, Repo]]
           ) -> Iterator[TryPanels]:
    panels = TryPanels(runner=MlxRunner(cache_dir=models[0]))
    yield panels
    run(qtbot, panels.aclose(), timeout=SLOW)
    assert panels.runner.worker_pid is None


def ask(qtbot: QtBot, panel: TryPanel, prompt: str, *, max_tokens: int, temperature: float = 0.0) -> None:
    qtbot.waitExposed(panel)
    qtbot.keyClicks(panel.prompt, prompt)
    panel.temperature.setValue(temperature)
    panel.max_tokens.setValue(max_tokens)
    qtbot.mouseClick(panel.try_button, Qt.MouseButton.LeftButton)


def test_the_answer_streams_in_then_the_figures(qtbot: QtBot, panels: TryPanels,
                                                 models: tuple[Path, dict[str, Repo]]) -> None:
    panel = panels.open(LLAMA)
    # The model loads while the person types.
    assert panel.status.text() == f"Loading {LLAMA}…"
    qtbot.waitUntil(lambda: panel.status.text().startswith("Ready: loaded in"), timeout=SLOW)
    ask(qtbot, panel, PROMPT, max_tokens=40)
    assert not panel.try_button.isEnabled() and panel.stop_button.isEnabled()
    qtbot.waitUntil(lambda: panel.figures is not None, timeout=SLOW)
    expected, _ = reference_answer(models[1][LLAMA].snapshot_dir, PROMPT, 40)
    assert panel.answer.toPlainText() == expected
    assert panel.status.text() == "Reached max tokens."  # already loaded: nothing more to say
    assert panel.tiles.isVisible()
    tiles = " ".join(label.text() for label in panel.tile_labels if label.isVisible())
    for words in ("ms</span><br>", "to first token", "tok/s", "prompt (", "generation (40 tokens)", "peak memory"):
        assert words in tiles
    assert panel.try_button.isEnabled() and not panel.stop_button.isEnabled()
    assert panel.problem.isHidden()


def test_stop_mid_answer(qtbot: QtBot, panels: TryPanels) -> None:
    panel = panels.open(LLAMA)
    ask(qtbot, panel, PROMPT, max_tokens=ENDLESS)
    qtbot.waitUntil(lambda: len(panel.answer.toPlainText()) > 30, timeout=SLOW)
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.running, timeout=SLOW)
    assert panel.figures is not None and panel.figures.finish_reason == "stopped"
    assert panel.status.text().startswith("Stopped.")
    assert panel.try_button.isEnabled()
    # The worker lives on for the next question.
    assert panels.runner.worker_pid is not None


def test_a_worker_killed_mid_answer_says_so_and_retry_works(qtbot: QtBot, panels: TryPanels) -> None:
    panel = panels.open(LLAMA)
    ask(qtbot, panel, PROMPT, max_tokens=ENDLESS)
    qtbot.waitUntil(lambda: len(panel.answer.toPlainText()) > 10, timeout=SLOW)
    os.kill(panels.runner.worker_pid or 0, signal.SIGKILL)
    qtbot.waitUntil(lambda: panel.problem.isVisible(), timeout=SLOW)
    assert "ended unexpectedly" in panel.problem_label.text()
    assert panel.retry_button.isVisible() and not panel.download_button.isVisible()
    assert panel.try_button.isEnabled()

    qtbot.mouseClick(panel.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(panel.answer.toPlainText()) > 10, timeout=SLOW)
    assert panel.problem.isHidden()
    panel.stop()
    qtbot.waitUntil(lambda: not panel.running, timeout=SLOW)
    assert panel.figures is not None and panel.figures.finish_reason == "stopped"


def test_a_model_without_weights_offers_the_download(qtbot: QtBot, panels: TryPanels) -> None:
    panel = panels.open(NO_WEIGHTS)
    ask(qtbot, panel, PROMPT, max_tokens=8)
    qtbot.waitUntil(lambda: panel.problem.isVisible(), timeout=SLOW)
    assert "no weights on disk" in panel.problem_label.text()
    assert panel.download_button.isVisible() and not panel.retry_button.isVisible()
    assert panels.runner.worker_pid is None  # said before any process was started
    with qtbot.waitSignal(panels.download_requested) as signal_:
        qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)
    assert signal_.args == [NO_WEIGHTS]


def test_a_model_too_large_asks_first(qtbot: QtBot, panels: TryPanels) -> None:
    panels.too_large_warning = lambda model_id: f"{model_id} needs about 48 GB; this Mac has 24 GB."
    panel = panels.open(LLAMA)
    asked: list[str] = []
    answers = [False, True]
    panel.confirm = lambda warning: asked.append(warning) or answers.pop(0)
    ask(qtbot, panel, PROMPT, max_tokens=4)
    assert asked == [f"{LLAMA} needs about 48 GB; this Mac has 24 GB."]
    assert "Not tried" in panel.status.text() and not panel.running and panels.runner.worker_pid is None

    qtbot.mouseClick(panel.try_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.figures is not None, timeout=SLOW)
    assert len(asked) == 2 and panel.figures.generation_tokens == 4
    qtbot.mouseClick(panel.try_button, Qt.MouseButton.LeftButton)  # asked once per panel, not every time
    qtbot.waitUntil(lambda: not panel.running, timeout=SLOW)
    assert len(asked) == 2


def test_closing_the_panel_ends_the_worker(qtbot: QtBot, panels: TryPanels) -> None:
    panel = panels.open(LLAMA)
    ask(qtbot, panel, PROMPT, max_tokens=ENDLESS)
    qtbot.waitUntil(lambda: len(panel.answer.toPlainText()) > 10, timeout=SLOW)
    process = panels.runner.worker_process
    panel.close()
    assert LLAMA not in panels.panels
    qtbot.waitUntil(lambda: process is not None and process.returncode is not None, timeout=SLOW)
    assert process is not None and process.returncode == 0  # asked to quit, after stopping the answer


def test_escape_dismisses_the_panel_and_reopening_makes_a_fresh_one(qtbot: QtBot, panels: TryPanels) -> None:
    panel = panels.open(LLAMA)
    qtbot.waitExposed(panel)
    assert panels.open(LLAMA) is panel  # one panel per model
    qtbot.keyClick(panel, Qt.Key.Key_Escape)
    assert LLAMA not in panels.panels and not panel.isVisible()
    again = panels.open(LLAMA)
    assert again is not panel and again.isVisible()


def test_closing_while_the_model_loads_gives_the_load_up(qtbot: QtBot, panels: TryPanels) -> None:
    panel = panels.open(LLAMA)
    assert panel.preparing
    panel.close()
    qtbot.waitUntil(lambda: not panel.preparing, timeout=SLOW)
    qtbot.waitUntil(lambda: panels.runner.worker_pid is None and not panels.runner.busy, timeout=SLOW)
