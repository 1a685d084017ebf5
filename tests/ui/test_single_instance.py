"""The app as separate processes: a second launch hands over to the running one and exits 0; a socket left
by a crashed run does not stop the next one; SIGTERM and SIGINT quit like Quit, leaving no task or thread."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QDir

from tests.cachebuilder import CacheBuilder, populate_sample

ROOT = Path(__file__).resolve().parents[2]

# The first instance: the real run_app, with prints at the moments a test waits for.
FIRST = textwrap.dedent("""
    import argparse, json, sys, threading
    from app.ui import application, main_window, shell

    start = main_window.MainWindow.start
    def started(self):
        start(self)
        print("ready", flush=True)
    main_window.MainWindow.start = started

    handle = shell.Shell.handle_launch
    def handled(self, payload):
        handle(self, payload)
        print("handed", json.dumps(payload, sort_keys=True), self.window.view,
              self.window.toolbar.search.text(), self.window.isVisible(), flush=True)
    shell.Shell.handle_launch = handled

    drain = application._drain
    def counted(loop, reporter):
        import asyncio
        left = [t.get_name() for t in asyncio.all_tasks(loop) if not t.done()]
        print("tasks-at-exit", left, flush=True)
        drain(loop, reporter)
    application._drain = counted

    args = argparse.Namespace(view=None, query=None, expand=None, dark=False, size=None, screenshot=None,
                              self_test=False, quick_search=None)
    code = application.run_app(args)
    threads = [t.name for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    print("exit", code, "threads", threads, flush=True)
""")


class Lines:
    """A process's stdout, line by line, waited for without sleeping."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, prefix: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line starting {prefix!r} in {timeout} s; saw {self.seen}") from None
            if line is None:
                raise AssertionError(f"the process ended before {prefix!r}; saw {self.seen}")
            self.seen.append(line)
            if line.startswith(prefix):
                return line


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    cache = CacheBuilder(tmp_path / "hub")
    populate_sample(cache)
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")}
    env.update(HF_HUB_CACHE=str(cache.root), MLX_MANAGER_CACHE_DIR=str(tmp_path / "mlxm"), HOME=str(tmp_path / "home"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), QT_QPA_PLATFORM="offscreen", HF_HOME=str(tmp_path / "hf"),
               HF_HUB_OFFLINE="1")
    return env


@pytest.fixture
def first(env: dict[str, str]) -> Iterator[Lines]:
    proc = subprocess.Popen([sys.executable, "-c", FIRST], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines = Lines(proc)
    try:
        yield lines
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        assert proc.stderr is not None
        proc.stderr.close()
        assert proc.stdout is not None
        proc.stdout.close()


def server_path(env: dict[str, str]) -> Path:
    script = "from app.ui.single_instance import instance_name; print(instance_name())"
    name = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()
    return Path(QDir.tempPath()) / name


def second_launch(env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    began = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "app", *args], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=30)
    return result, time.monotonic() - began


def quit_cleanly(first: Lines, sig: signal.Signals) -> float:
    began = time.monotonic()
    first.proc.send_signal(sig)
    code = first.proc.wait(timeout=10)
    took = time.monotonic() - began
    first.wait_for("exit")
    assert code == 0, first.seen
    assert first.seen[-1] == "exit 0 threads []", first.seen
    assert "tasks-at-exit []" in first.seen, first.seen
    return took


def test_a_second_launch_hands_over_and_exits(env: dict[str, str], first: Lines) -> None:
    first.wait_for("ready")
    result, took = second_launch(env, "--view", "hub", "--query", "gemma")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    handed = first.wait_for("handed")
    assert handed == 'handed {"query": "gemma", "view": "hub"} hub gemma True'
    print(f"second launch exited after {took:.2f} s")
    # A plain second launch only brings the window forward.
    result, _ = second_launch(env)
    assert result.returncode == 0, result.stderr
    assert first.wait_for("handed") == "handed {} hub gemma True"
    quit_cleanly(first, signal.SIGTERM)


def test_a_stale_socket_from_a_crashed_run_is_replaced(env: dict[str, str], first: Lines) -> None:
    path = server_path(env)
    # What a crash leaves: the socket file, and nobody listening on it.
    crashed = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    path.unlink(missing_ok=True)
    crashed.bind(str(path))
    crashed.close()
    assert path.exists()
    try:
        first.wait_for("ready")
        result, _ = second_launch(env, "--view", "my")
        assert result.returncode == 0, result.stderr
        assert first.wait_for("handed").startswith('handed {"view": "my"} my')
        quit_cleanly(first, signal.SIGINT)
    finally:
        path.unlink(missing_ok=True)


def test_sigterm_quits_like_quit_with_nothing_left_behind(env: dict[str, str], first: Lines) -> None:
    first.wait_for("ready")
    took = quit_cleanly(first, signal.SIGTERM)
    print(f"SIGTERM to exit: {took:.2f} s")
    assert not server_path(env).exists(), "the socket is removed on the way out"
