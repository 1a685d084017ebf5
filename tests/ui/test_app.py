"""The whole app in a subprocess: --self-test, --screenshot (both views), first paint without heavy imports,
and a clean exit when Qt quits under the event loop."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from tests.cachebuilder import CacheBuilder, populate_sample
from tests.hubsim import HubSim

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("httpx", "huggingface_hub", "mlx", "mlx_lm", "transformers")


@pytest.fixture
def app_env(tmp_path: Path) -> dict[str, str]:
    cache = CacheBuilder(tmp_path / "hub")
    populate_sample(cache)
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE")}
    env.update(HF_HUB_CACHE=str(cache.root), MLX_MANAGER_CACHE_DIR=str(tmp_path / "mlxm"),
               HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "config"), QT_QPA_PLATFORM="offscreen",
               HF_HOME=str(tmp_path / "hf-home"))
    return env


def run_app(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_self_test_prints_ok(app_env: dict[str, str]) -> None:
    result = run_app(app_env, "-m", "app", "--self-test")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("self-test passed")  # parts: tests/integration
    assert "Traceback" not in result.stderr


def test_screenshot_of_my_models(app_env: dict[str, str], tmp_path: Path) -> None:
    png = tmp_path / "my.png"
    result = run_app(app_env, "-m", "app", "--screenshot", str(png), "--expand", "1")
    assert result.returncode == 0, result.stderr
    assert "not everything had settled" not in result.stdout
    image = QImage(str(png))
    assert (image.width(), image.height()) == (1100, 760)
    written = [p for p in (tmp_path / "config").rglob("*") if p.is_file()]
    assert not written, f"a screenshot must not write the user's settings: {written}"


def test_screenshot_of_a_hub_search_in_dark(app_env: dict[str, str], hubsim: HubSim, tmp_path: Path) -> None:
    png = tmp_path / "hub.png"
    env = dict(app_env, HF_ENDPOINT=hubsim.url)
    result = run_app(env, "-m", "app", "--screenshot", str(png), "--view", "hub", "--query", "qwen",
                     "--dark", "--size", "1200x800")
    assert result.returncode == 0, result.stderr
    assert "not everything had settled" not in result.stdout
    image = QImage(str(png))
    assert (image.width(), image.height()) == (1200, 800)
    assert image.pixelColor(600, 400).lightness() < 128  # dark palette applied
    searched = [r.query.get("search") for r in hubsim.requests(r"^/api/models$")]
    assert searched == [["qwen"]]
    assert hubsim.requests(r"/resolve/main/config\.json$"), "the visible cards' configs were not fetched"


def test_first_paint_needs_no_heavy_import(app_env: dict[str, str]) -> None:
    env = dict(app_env, MLX_MANAGER_EXIT_AFTER_FIRST_PAINT="1")
    result = run_app(env, "-X", "importtime", "-m", "app")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("first-paint ")
    loaded = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()
              if line.startswith("import time:")}
    assert "PySide6.QtWidgets" in loaded  # the check sees imports at all
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert not heavy, f"imported before the first paint: {heavy}"


def test_quit_from_qt_still_shuts_down_cleanly(app_env: dict[str, str], hubsim: HubSim) -> None:
    # ⌘Q / the Dock's Quit end Qt's loop under asyncio: the window's services must still be closed.
    script = textwrap.dedent("""
        import argparse, sys
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        from app.ui import application, main_window

        closed = []
        start, aclose = main_window.MainWindow.start, main_window.MainWindow.aclose

        def started(self):
            start(self)
            self.set_view("hub")
            QTimer.singleShot(300, QApplication.quit)

        async def closing(self):
            await aclose(self)
            closed.append(self.controller.client is None and self.controller.fetcher is None)

        main_window.MainWindow.start, main_window.MainWindow.aclose = started, closing
        args = argparse.Namespace(view="my", query=None, expand=None, dark=False, size=None,
                                  screenshot=None, self_test=False)
        code = application.run_app(args)
        print("exit", code, closed)
    """)
    env = dict(app_env, HF_ENDPOINT=hubsim.url)
    result = run_app(env, "-c", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("exit 0 [True]"), result.stdout + result.stderr
    for bad in ("Task was destroyed", "Traceback", "never awaited", "QThread: Destroyed"):
        assert bad not in result.stderr, result.stderr
