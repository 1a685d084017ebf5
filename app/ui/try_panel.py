"""The Try panel: ask a local model something and watch the answer stream, with how fast it ran here.

A non-modal dialog per model: prompt box, temperature and max tokens, Try / Stop, the answer as it is
written, then the figures (time to first token, prompt and generation tokens per second, peak memory).
The model runs in the worker process behind `MlxRunner` (app/services/mlx_runner.py), so the window stays
responsive and a crash there is only a message here, with Retry. Problems are said in words, with the next
step offered: Download… for a model without weights, Retry for a worker that died.

`TryPanels` owns the one runner and the open panels (one per model); the window keeps it and closes it on
quit. A model the fit verdict calls too large asks first: `TryPanels.too_large_warning` is the hook, a
function from a model id to a sentence (or None when the model fits).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.formatting import size
from app.services.mlx_runner import Loaded, Loading, MlxRunner, Token, TryEvent, TryFigures, TryRequest
from app.services.try_protocol import DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE, TryError

log = logging.getLogger("mlx_manager.ui.try")

FLUSH_MS = 30  # tokens are shown in batches: a fast model writes hundreds per second
MAX_TOKENS_LIMIT = 131_072


def figure_tiles(figures: TryFigures) -> list[tuple[str, str]]:
    """(value, caption) pairs for the row under the answer; unknown figures are left out."""
    tiles: list[tuple[str, str]] = []
    if figures.time_to_first_token_ms is not None:
        tiles.append((f"{figures.time_to_first_token_ms:,.0f} ms", "to first token"))
    if figures.prompt_tps is not None:
        tiles.append((f"{figures.prompt_tps:,.0f} tok/s", f"prompt ({figures.prompt_tokens or 0:,} tokens)"))
    if figures.generation_tps is not None:
        tiles.append((f"{figures.generation_tps:,.1f} tok/s",
                      f"generation ({figures.generation_tokens or 0:,} tokens)"))
    peak = size(figures.peak_memory_bytes)
    if peak is not None:
        tiles.append((peak, "peak memory"))
    return tiles


def ending_text(figures: TryFigures) -> str:
    """How the answer ended, and the load time when there was one (the figures are in the tiles)."""
    ended = {"stop": "Finished.", "length": "Reached max tokens.", "stopped": "Stopped."}
    lead = ended.get(figures.finish_reason, "Finished.")
    return f"{lead} Loaded in {figures.load_seconds:.1f} s." if figures.load_seconds else lead


def figures_text(figures: TryFigures) -> str:
    """One line a person reads after the answer."""
    parts: list[str] = []
    if figures.time_to_first_token_ms is not None:
        parts.append(f"First token {figures.time_to_first_token_ms:,.0f} ms")
    if figures.prompt_tps is not None and figures.prompt_tokens is not None:
        parts.append(f"prompt {figures.prompt_tokens:,} tokens at {figures.prompt_tps:,.0f} tokens/s")
    if figures.generation_tps is not None and figures.generation_tokens is not None:
        parts.append(f"generation {figures.generation_tokens:,} tokens at {figures.generation_tps:,.1f} tokens/s")
    peak = size(figures.peak_memory_bytes)
    if peak is not None:
        parts.append(f"peak memory {peak}")
    if figures.load_seconds:
        parts.append(f"loaded in {figures.load_seconds:.1f} s")
    ended = {"stop": "Finished.", "length": "Reached max tokens.", "stopped": "Stopped."}
    lead = ended.get(figures.finish_reason, "Finished.")
    return f"{lead} {' · '.join(parts)}" if parts else lead


class TryPanel(QDialog):
    """One model's Try dialog."""

    download_requested = Signal(str)
    finished_answer = Signal(object)  # TryFigures, or the TryError that stopped the answer

    def __init__(self, runner: MlxRunner, model_id: str, *, too_large: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.model_id = model_id
        self.too_large = too_large
        self.confirmed_too_large = False
        # Replaceable (tests): ask whether to go on with a model that may not fit.
        self.confirm: Callable[[str], bool] = self._ask_too_large
        self.figures: TryFigures | None = None
        self.error: TryError | None = None
        self._task: asyncio.Task[None] | None = None
        self._prepare_task: asyncio.Task[None] | None = None
        self._pending: list[str] = []
        self._closing = False
        self._last_request: TryRequest | None = None

        self.setWindowTitle(f"Try {model_id}")
        self.setObjectName("tryPanel")
        self.setSizeGripEnabled(True)
        self.resize(620, 560)
        self._build()
        self._set_running(False)

    # --- layout ----------------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        title = QLabel(f"<b>{self.model_id}</b>", self)
        title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(title)

        self.prompt = QPlainTextEdit(self)
        self.prompt.setPlaceholderText("Ask something… (⌘Return to try)")
        self.prompt.setFixedHeight(self.prompt.fontMetrics().lineSpacing() * 4 + 16)
        self.prompt.setTabChangesFocus(True)
        layout.addWidget(self.prompt)

        row = QHBoxLayout()
        row.addWidget(QLabel("Temperature", self))
        self.temperature = QDoubleSpinBox(self)
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setDecimals(2)
        self.temperature.setValue(DEFAULT_TEMPERATURE)
        self.temperature.setToolTip("0 always picks the most likely token; higher values vary more")
        row.addWidget(self.temperature)
        row.addSpacing(12)
        row.addWidget(QLabel("Max tokens", self))
        self.max_tokens = QSpinBox(self)
        self.max_tokens.setRange(1, MAX_TOKENS_LIMIT)
        self.max_tokens.setSingleStep(128)
        self.max_tokens.setValue(DEFAULT_MAX_TOKENS)
        row.addWidget(self.max_tokens)
        row.addStretch(1)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.clicked.connect(self.stop)
        self.try_button = QPushButton("Try", self)
        self.try_button.setDefault(True)
        self.try_button.clicked.connect(self.start)
        row.addWidget(self.stop_button)
        row.addWidget(self.try_button)
        layout.addLayout(row)

        self.problem = QFrame(self)
        self.problem.setObjectName("tryProblem")
        self.problem.setStyleSheet("#tryProblem { background: rgba(220, 38, 38, 0.10);"
                                   " border: 1px solid rgba(220, 38, 38, 0.45); border-radius: 6px; }")
        problem_row = QHBoxLayout(self.problem)
        problem_row.setContentsMargins(10, 6, 6, 6)
        self.problem_label = QLabel(self.problem)
        self.problem_label.setWordWrap(True)
        self.problem_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QPushButton("Retry", self.problem)
        self.retry_button.clicked.connect(self.retry)
        self.download_button = QPushButton("Download…", self.problem)
        self.download_button.clicked.connect(lambda: self.download_requested.emit(self.model_id))
        problem_row.addWidget(self.problem_label, 1)
        problem_row.addWidget(self.retry_button)
        problem_row.addWidget(self.download_button)
        self.problem.hide()
        layout.addWidget(self.problem)

        self.answer = QPlainTextEdit(self)
        self.answer.setReadOnly(True)
        self.answer.setPlaceholderText("The answer appears here as the model writes it.")
        layout.addWidget(self.answer, 1)

        self.tiles = QWidget(self)
        tiles_row = QHBoxLayout(self.tiles)
        tiles_row.setContentsMargins(0, 4, 0, 0)
        self.tile_labels: list[QLabel] = []
        for _ in range(4):
            label = QLabel(self.tiles)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            tiles_row.addWidget(label, 1)
            self.tile_labels.append(label)
        self.tiles.hide()
        layout.addWidget(self.tiles)

        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)

        shortcut = QShortcut(QKeySequence("Ctrl+Return"), self)
        shortcut.activated.connect(self.start)

        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self._flush)

    # --- state -----------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def preparing(self) -> bool:
        return self._prepare_task is not None and not self._prepare_task.done()

    def _set_running(self, running: bool) -> None:
        self.try_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        for widget in (self.temperature, self.max_tokens):
            widget.setEnabled(not running)

    def answer_text(self) -> str:
        """What the answer box shows, with anything still waiting for the next batch."""
        return self.answer.toPlainText() + "".join(self._pending)

    # --- actions ---------------------------------------------------------------------------------------

    def start(self) -> None:
        if self.running:
            return
        prompt = self.prompt.toPlainText()
        if not prompt.strip():
            self.status.setText("Type a prompt first.")
            self.prompt.setFocus()
            return
        if self.too_large and not self.confirmed_too_large:
            if not self.confirm(self.too_large):
                self.status.setText("Not tried: the model may not fit in memory.")
                return
            self.confirmed_too_large = True
        request = TryRequest(self.model_id, prompt, max_tokens=self.max_tokens.value(),
                             temperature=round(self.temperature.value(), 2))
        self._begin(request)

    def retry(self) -> None:
        if self._last_request is not None and not self.running:
            self._begin(self._last_request)

    def stop(self) -> None:
        if self.running:
            self.status.setText("Stopping…")
            self.runner.stop(self._last_request)

    def prepare(self) -> asyncio.Task[None] | None:
        """Load the model while the person types, so that Try answers at once (not for a model that may
        not fit: that waits for the confirmation)."""
        if self._prepare_task is not None or (self.too_large and not self.confirmed_too_large):
            return None
        self.status.setText(f"Loading {self.model_id}…")
        self._prepare_task = asyncio.ensure_future(self._prepare())
        self._prepare_task.set_name(f"try-prepare-{self.model_id}")
        return self._prepare_task

    async def _prepare(self) -> None:
        seconds = await self.runner.prepare(self.model_id)
        if self._closing or self.running or self.figures is not None or self.error is not None:
            return
        if seconds is None:
            self.status.setText("")  # what went wrong is said when Try is pressed
        else:
            self.status.setText(f"Ready: loaded in {seconds:.1f} s." if seconds else "Ready.")

    def _begin(self, request: TryRequest) -> None:
        self._last_request = request
        self.figures = None
        self.error = None
        self._pending.clear()
        self.answer.clear()
        self.problem.hide()
        self.tiles.hide()
        self.status.setText("Starting…")
        self._set_running(True)
        self._task = asyncio.ensure_future(self._run(request))
        self._task.set_name(f"try-{self.model_id}")

    async def _run(self, request: TryRequest) -> None:
        outcome: TryFigures | TryError
        try:
            if self.runner.preparing == self.model_id:
                self.status.setText(f"Loading {self.model_id}…")
            elif self.runner.busy:
                self.status.setText("Waiting for another model to finish…")
            outcome = await self.runner.run(request, self._on_event)
        except asyncio.CancelledError:
            raise
        except TryError as exc:
            outcome = exc
        except Exception as exc:  # anything unexpected is still said here, not lost
            log.exception("trying %s failed", self.model_id)
            outcome = TryError("generation_failed", f"Something went wrong: {type(exc).__name__}: {exc}")
        if self._closing:
            return
        self._flush()
        self._set_running(False)
        if isinstance(outcome, TryError):
            self._show_problem(outcome)
        else:
            self.figures = outcome
            self.status.setText(ending_text(outcome))
            self._show_tiles(outcome)
        self.finished_answer.emit(outcome)

    def _on_event(self, event: TryEvent) -> None:
        if self._closing:
            return
        if isinstance(event, Token):
            self._pending.append(event.text)
            if not self._flush_timer.isActive():
                self._flush_timer.start()
        elif isinstance(event, Loading):
            self.status.setText("Thinking…" if event.reused else f"Loading {event.model_id}…")
        elif isinstance(event, Loaded) and not event.reused:
            self.status.setText(f"Loaded in {event.seconds:.1f} s. Thinking…")

    def _flush(self) -> None:
        if not self._pending:
            return
        text, self._pending = "".join(self._pending), []
        bar = self.answer.verticalScrollBar()
        follow = bar.value() >= bar.maximum() - 4  # keep following the answer unless the reader scrolled up
        cursor = QTextCursor(self.answer.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        if follow:
            bar.setValue(bar.maximum())
        if not self.status.text().startswith("Writing"):
            self.status.setText("Writing…")

    def _show_tiles(self, figures: TryFigures) -> None:
        tiles = figure_tiles(figures)
        for label, tile in zip(self.tile_labels, [*tiles, *[None] * len(self.tile_labels)], strict=False):
            label.setVisible(tile is not None)
            if tile is not None:
                value, caption = tile
                label.setText(f"<span style='font-size:15pt; font-weight:600'>{value}</span><br>"
                              f"<span style='color:palette(placeholder-text)'>{caption}</span>")
        self.tiles.setVisible(bool(tiles))
        self.tiles.setToolTip(figures_text(figures))

    def _show_problem(self, error: TryError) -> None:
        self.error = error
        self.problem_label.setText(str(error))
        self.retry_button.setVisible(error.retryable)
        self.download_button.setVisible(error.needs_download)
        self.problem.show()
        self.status.setText("")

    def _ask_too_large(self, warning: str) -> bool:
        answer = QMessageBox.question(
            self, "This model may not fit", f"{warning}\n\nTrying it may make this Mac slow or stop the "
            "model's process. Try anyway?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    # --- closing ---------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop any answer; the panel says nothing more after this."""
        self._closing = True
        self._flush_timer.stop()
        if self.running and self._task is not None:
            self._task.cancel()  # the runner asks the worker to stop this answer

    async def wait_finished(self) -> None:
        task = self._task
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


class TryPanels(QObject):
    """The runner and the Try panels of a window: one panel per model, the worker kept for the model in
    view and ended when its panel closes (its memory comes back) or the app quits."""

    download_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, runner: MlxRunner | None = None) -> None:
        super().__init__(parent)
        self._parent = parent
        self._runner = runner
        self.panels: dict[str, TryPanel] = {}
        # The fit verdict's hook: model id -> a sentence when the model is too large here, else None.
        self.too_large_warning: Callable[[str], str | None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def runner(self) -> MlxRunner:
        if self._runner is None:
            self._runner = MlxRunner()
        return self._runner

    def open(self, model_id: str, *, too_large: str | None = None) -> TryPanel:
        """The model's panel (made or brought forward); `too_large`: the fit verdict's warning, if any."""
        panel = self.panels.get(model_id)
        if panel is None:
            if too_large is None and self.too_large_warning is not None:
                too_large = self.too_large_warning(model_id)
            panel = TryPanel(self.runner, model_id, too_large=too_large, parent=self._parent)
            panel.download_requested.connect(self.download_requested)
            panel.finished.connect(lambda _result, m=model_id, p=panel: self._closed(m, p))
            self.panels[model_id] = panel
            prepared = panel.prepare()
            if prepared is None:
                self._spawn(self.runner.select(model_id))
            else:
                self._tasks.add(prepared)
                prepared.add_done_callback(self._tasks.discard)
        panel.show()
        panel.raise_()
        panel.activateWindow()
        panel.prompt.setFocus()
        return panel

    def _closed(self, model_id: str, panel: TryPanel) -> None:
        if self.panels.get(model_id) is not panel:
            return
        del self.panels[model_id]
        panel.shutdown()
        panel.deleteLater()  # closed or dismissed with Escape alike
        runner = self._runner
        if runner is not None and (model_id in (runner.model_id, runner.preparing) or panel.preparing):
            self._spawn(self._release_after(panel))

    async def _release_after(self, panel: TryPanel) -> None:
        await panel.wait_finished()
        runner = self._runner
        if runner is not None and runner.model_id not in self.panels and runner.preparing not in self.panels:
            await runner.release()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        """On quit: close the panels, stop any answer or load, end the worker."""
        for panel in list(self.panels.values()):
            panel.shutdown()
            panel.close()
        if self._runner is not None:
            await self._runner.aclose()  # first: a load under way is cut short, not waited for
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
