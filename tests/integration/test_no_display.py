"""`make run` on a machine without a display: one line saying so, then the local models, no Qt crash."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cachebuilder import CacheBuilder, populate_sample

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="those platforms always have a display")
def test_without_a_display_the_app_lists_local_models(tmp_path: Path) -> None:
    populate_sample(CacheBuilder(tmp_path / "hub"))
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env |= {"HF_HUB_CACHE": str(tmp_path / "hub"), "MLX_MANAGER_CACHE_DIR": str(tmp_path / "app"),
            "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "app"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "mlx-manager: no display here, so no window; listing the local models instead."
    assert any("mlx-community/Qwen3-8B-4bit" in line for line in lines[1:])
    assert "qt.qpa" not in result.stderr and "Traceback" not in result.stderr
