"""MlxRunner and the worker process, under plain asyncio: streaming, reuse, Stop, a dying worker, idle end.

Real processes (`python -m app --worker`) running the real mlx-lm on tiny models built on the fly.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from app.services.mlx_runner import Loaded, Loading, MlxRunner, Token, TryEvent, TryRequest
from app.services.try_protocol import WORKER_DIED, TryError
from tests.cachebuilder import CacheBuilder
from tests.tinymodel import LLAMA, QWEN, add_try_models, reference_answer

ROOT = Path(__file__).resolve().parents[2]
PROMPT = "Hello, who are you?"
ENDLESS = 1_000_000  # the tiny model never ends on its own (see tests/tinymodel.py): only Stop ends this


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("try-runner") / "hub"
    add_try_models(CacheBuilder(root))
    return root


def with_runner(cache_root: Path, body: Callable[[MlxRunner], Awaitable[Any]], **options: Any) -> Any:
    """Run `body` with a runner on a fresh loop; the runner is closed after, and no task may be left."""

    async def main() -> Any:
        runner = MlxRunner(cache_dir=cache_root, **options)
        try:
            return await body(runner)
        finally:
            await runner.aclose()
            assert runner.worker_pid is None
            left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            assert not left, f"tasks left behind: {left}"

    return asyncio.run(main())


def test_an_answer_streams_as_events_with_the_figures(cache_root: Path) -> None:
    events: list[TryEvent] = []

    async def body(runner: MlxRunner) -> Any:
        return await runner.run(TryRequest(LLAMA, PROMPT, max_tokens=20, temperature=0.0), events.append)

    figures = with_runner(cache_root, body)
    assert isinstance(events[0], Loading) and not events[0].reused
    assert isinstance(events[1], Loaded) and events[1].seconds > 0
    tokens = [e for e in events[2:] if isinstance(e, Token)]
    assert len(tokens) == len(events) - 2 == 20
    expected, prompt_tokens = reference_answer(cache_root / "models--tiny-org--tiny-llama" / "snapshots" /
                                               os.listdir(cache_root / "models--tiny-org--tiny-llama" /
                                                          "snapshots")[0], PROMPT, 20)
    assert "".join(t.text for t in tokens) == figures.text == expected
    assert figures.finish_reason == "length" and figures.generation_tokens == 20
    assert figures.prompt_tokens == prompt_tokens
    assert figures.time_to_first_token_ms > 0 and figures.prompt_tps > 0 and figures.generation_tps > 0
    assert figures.peak_memory_bytes > 0 and figures.peak_memory == pytest.approx(figures.peak_memory_bytes / 1e9)


def test_the_worker_is_reused_for_the_same_model_and_replaced_for_another(cache_root: Path) -> None:
    async def body(runner: MlxRunner) -> Any:
        events: list[TryEvent] = []
        await runner.run(TryRequest(LLAMA, PROMPT, max_tokens=3), events.append)
        first_pid, first_process = runner.worker_pid, runner.worker_process
        await runner.run(TryRequest(LLAMA, "Again", max_tokens=3), events.append)
        assert runner.worker_pid == first_pid
        loaded = [e for e in events if isinstance(e, Loaded)]
        assert [e.reused for e in loaded] == [False, True] and loaded[1].seconds == 0
        await runner.run(TryRequest(QWEN, PROMPT, max_tokens=3), events.append)
        assert runner.worker_pid not in (None, first_pid) and runner.model_id == QWEN
        assert first_process is not None and first_process.returncode is not None  # the old one has ended

    with_runner(cache_root, body)


def test_stop_mid_stream_ends_the_answer_and_keeps_the_worker(cache_root: Path) -> None:
    async def body(runner: MlxRunner) -> Any:
        seen: list[str] = []

        def on_event(event: TryEvent) -> None:
            if isinstance(event, Token):
                seen.append(event.text)
                if len(seen) == 5:
                    runner.stop()

        figures = await runner.run(TryRequest(LLAMA, PROMPT, max_tokens=ENDLESS, temperature=0.0), on_event)
        assert figures.finish_reason == "stopped"
        assert 5 <= len(seen) < 1000 and figures.text == "".join(seen)
        assert figures.generation_tps is not None and figures.generation_tps > 0
        pid = runner.worker_pid
        # The same worker answers the next prompt in full: nothing of the stopped answer leaks into it.
        after = await runner.run(TryRequest(LLAMA, PROMPT, max_tokens=3, temperature=0.0))
        assert runner.worker_pid == pid and after.finish_reason == "length" and after.generation_tokens == 3
        assert after.text and "".join(seen).startswith(after.text)  # greedy: the same beginning

    with_runner(cache_root, body)


def test_a_worker_killed_mid_stream_is_reported_and_a_retry_works(cache_root: Path) -> None:
    async def body(runner: MlxRunner) -> Any:
        count = 0

        def on_event(event: TryEvent) -> None:
            nonlocal count
            if isinstance(event, Token):
                count += 1
                if count == 3:
                    os.kill(runner.worker_pid or 0, signal.SIGKILL)

        with pytest.raises(TryError) as caught:
            await runner.run(TryRequest(LLAMA, PROMPT, max_tokens=ENDLESS), on_event)
        assert caught.value.kind == WORKER_DIED and caught.value.retryable
        assert "ended unexpectedly" in str(caught.value) and "SIGKILL" in str(caught.value)
        assert runner.worker_pid is None
        retry = await runner.run(TryRequest(LLAMA, PROMPT, max_tokens=4))
        assert retry.generation_tokens == 4 and runner.worker_pid is not None

    with_runner(cache_root, body)


def test_stop_ends_a_worker_that_does_not_answer(cache_root: Path, tmp_path: Path) -> None:
    # A worker stuck (say, loading a huge model): it never answers, so Stop must end it.
    stuck = tmp_path / "stuck.py"
    stuck.write_text("import sys\nfor line in sys.stdin:\n    pass\n")

    async def body(runner: MlxRunner) -> Any:
        loop = asyncio.get_running_loop()
        processes: list[Any] = []

        def on_event(event: TryEvent) -> None:
            if isinstance(event, Loading):  # the worker exists; the load request goes out right after this
                processes.append(runner.worker_process)
                loop.call_soon(runner.stop)

        figures = await runner.run(TryRequest(LLAMA, PROMPT), on_event)
        assert figures.finish_reason == "stopped"
        assert processes[0] is not None and processes[0].returncode == -signal.SIGKILL

    with_runner(cache_root, body, command=[sys.executable, str(stuck)], stop_grace=0.2)


def test_an_idle_worker_ends_by_itself(cache_root: Path) -> None:
    async def body(runner: MlxRunner) -> Any:
        await runner.run(TryRequest(LLAMA, PROMPT, max_tokens=2))
        process = runner.worker_process
        assert process is not None
        assert await asyncio.wait_for(process.wait(), 30) == 0  # it was asked to quit, and did
        assert runner.worker_pid is None

    with_runner(cache_root, body, idle_seconds=0.1)


def test_selecting_another_model_ends_the_worker(cache_root: Path) -> None:
    async def body(runner: MlxRunner) -> Any:
        await runner.run(TryRequest(LLAMA, PROMPT, max_tokens=2))
        process = runner.worker_process
        await runner.select(LLAMA)
        assert runner.worker_process is process
        await runner.select(QWEN)
        assert process is not None and process.returncode == 0 and runner.worker_pid is None

    with_runner(cache_root, body)


def test_ping_answers_pid_and_device(cache_root: Path) -> None:
    async def body(runner: MlxRunner) -> Any:
        answer = await runner.ping()
        assert answer == {"ok": True, "pid": runner.worker_pid, "mlx_device": "cpu"}
        # A worker started by ping is used for the next model.
        pid = runner.worker_pid
        await runner.run(TryRequest(LLAMA, PROMPT, max_tokens=2))
        assert runner.worker_pid == pid

    with_runner(cache_root, body)


def test_the_worker_speaks_json_lines_and_survives_bad_requests() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    requests = "\n".join([
        json.dumps({"op": "ping"}),
        "this is not json",
        json.dumps(["not", "an", "object"]),
        json.dumps({"op": "generate", "id": 7, "prompt": "hi"}),
        json.dumps({"op": "load", "id": 8, "path": "/nonexistent/model", "model": "x/y"}),
        json.dumps({"op": "ping"}),
    ]) + "\n"
    result = subprocess.run([sys.executable, "-m", "app", "--worker"], input=requests, capture_output=True,
                            text=True, timeout=120, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr  # stdin closed: it leaves quietly
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    pings = [a for a in answers if "pid" in a]
    assert len(pings) == 2 and all(set(p) == {"ok", "pid", "mlx_device"} and p["ok"] is True for p in pings)
    assert pings[0]["mlx_device"] in ("cpu", "gpu")
    errors = [a for a in answers if a.get("ok") is False]
    assert [e["kind"] for e in errors] == ["bad_request", "bad_request", "bad_request", "no_weights"]
    assert errors[2]["id"] == 7 and "no model is loaded" in errors[2]["error"]
    assert errors[3]["id"] == 8


def test_a_tokenizer_that_cannot_be_read_is_said_in_words(tmp_path: Path) -> None:
    from tests.tinymodel import tiny_model_files

    files = tiny_model_files()
    files["tokenizer.json"] = b"{this is not a tokenizer"
    root = tmp_path / "hub"
    CacheBuilder(root).add_model("tiny-org/broken-tokenizer", files)

    async def body(runner: MlxRunner) -> Any:
        with pytest.raises(TryError) as caught:
            await runner.run(TryRequest("tiny-org/broken-tokenizer", PROMPT, max_tokens=2))
        assert caught.value.kind == "missing_tokenizer" and not caught.value.retryable
        assert str(caught.value).startswith("tiny-org/broken-tokenizer's tokenizer could not be loaded")
        assert runner.worker_pid is not None  # the worker itself is fine

    with_runner(root, body)


def test_a_worker_that_cannot_start_says_why(cache_root: Path) -> None:
    failing = [sys.executable, "-c", "import sys; sys.stderr.write('ImportError: no module named mlx\\n'); "
               "sys.exit(3)"]

    async def body(runner: MlxRunner) -> Any:
        with pytest.raises(TryError) as caught:
            await runner.run(TryRequest(LLAMA, PROMPT, max_tokens=2))
        assert caught.value.kind == WORKER_DIED
        assert "exit code 3" in str(caught.value) and "ImportError: no module named mlx" in str(caught.value)

    with_runner(cache_root, body, command=failing)

    async def missing(runner: MlxRunner) -> Any:
        with pytest.raises(TryError) as caught:
            await runner.run(TryRequest(LLAMA, PROMPT, max_tokens=2))
        assert caught.value.kind == "worker_unavailable" and "could not be started" in str(caught.value)

    with_runner(cache_root, missing, command=["/nonexistent/mlx-manager", "--worker"])


def test_prepare_loads_ahead_so_the_first_answer_reuses_it(cache_root: Path) -> None:
    async def body(runner: MlxRunner) -> Any:
        seconds = await runner.prepare(LLAMA)
        assert seconds is not None and seconds > 0 and runner.model_id == LLAMA
        events: list[TryEvent] = []
        await runner.run(TryRequest(LLAMA, PROMPT, max_tokens=2), events.append)
        assert events[0] == Loading(LLAMA, reused=True) and events[1] == Loaded(LLAMA, 0.0, reused=True)
        assert await runner.prepare("tiny-org/no-weights") is None  # said in words by run, not here

    with_runner(cache_root, body)


def test_release_cuts_a_load_short(cache_root: Path, tmp_path: Path) -> None:
    # A worker that takes the load request and never answers (a huge model), and says it got it.
    got = tmp_path / "got-request"
    os.mkfifo(got)
    stuck = tmp_path / "stuck.py"
    stuck.write_text("import sys\nsys.stdin.readline()\nopen(sys.argv[1], 'w').write('load')\n"
                     "for line in sys.stdin:\n    pass\n")

    async def body(runner: MlxRunner) -> Any:
        preparing = asyncio.create_task(runner.prepare(LLAMA))
        assert await asyncio.to_thread(got.read_text) == "load"
        await runner.release()
        assert await preparing is None and runner.worker_pid is None

    with_runner(cache_root, body, command=[sys.executable, str(stuck), str(got)])


def test_stop_of_a_waiting_answer_leaves_the_running_one_alone(cache_root: Path) -> None:
    async def body(runner: MlxRunner) -> Any:
        waiting = TryRequest(LLAMA, "second", max_tokens=2)
        second: list[asyncio.Task[Any]] = []

        def on_event(event: TryEvent) -> None:
            if isinstance(event, Token) and not second:
                second.append(asyncio.ensure_future(runner.run(waiting)))
                asyncio.get_running_loop().call_soon(runner.stop, waiting)  # once it waits its turn

        first = await runner.run(TryRequest(LLAMA, PROMPT, max_tokens=30), on_event)
        assert first.finish_reason == "length" and first.generation_tokens == 30
        assert (await second[0]).finish_reason == "stopped"

    with_runner(cache_root, body)
