"""`--screenshot PATH --quick-search QUERY`: the popup alone, with local and Hub results, once settled."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from tests.cachebuilder import CacheBuilder, populate_sample
from tests.hubsim import HubSim

ROOT = Path(__file__).resolve().parents[2]


def test_screenshot_of_the_quick_search(tmp_path: Path, hubsim: HubSim) -> None:
    hubsim.generate_models(60)
    cache = CacheBuilder(tmp_path / "hub")
    populate_sample(cache)
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE")}
    env.update(HF_HUB_CACHE=str(cache.root), MLX_MANAGER_CACHE_DIR=str(tmp_path / "mlxm"), HOME=str(tmp_path / "home"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), QT_QPA_PLATFORM="offscreen", HF_HOME=str(tmp_path / "hf"),
               HF_ENDPOINT=hubsim.url)
    png = tmp_path / "quick.png"
    result = subprocess.run([sys.executable, "-m", "app", "--screenshot", str(png), "--quick-search", "qwen"],
                            env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Saved {png}", result.stdout
    image = QImage(str(png))
    assert image.width() == 640 and image.height() > 300  # the popup alone, not the window
    searched = [r.query.get("search") for r in hubsim.requests(r"^/api/models$")]
    assert searched == [["qwen"]], "one Hub search, for the query"
    assert hubsim.requests(r"/resolve/main/config\.json$"), "the Hub results' configs were fetched before saving"
    assert not [p for p in (tmp_path / "config").rglob("*") if p.is_file()], "no settings written"
