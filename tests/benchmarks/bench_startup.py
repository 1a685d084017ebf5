"""Benchmark: launch to the first painted screen of cards, against a bare PySide6 QMainWindow run alongside.

Run: .venv/bin/python tests/benchmarks/bench_startup.py [--runs N]

  startup_ratio       `python -m app` on a cache of 1,000 model repos, the memo of an earlier launch in place
                      (a relaunch), until the My Models list has painted with its cards and their badges;
                      against a bare QMainWindow's first paint. Medians of N alternating runs. Target <= 2.0.
  cold_startup_ratio  the same with 2,000 repos and nothing remembered: a fresh app cache folder every run
                      (no characteristics memo, no config store), as on the first run after install.
                      Target <= 2.5.

Both processes are timed from just before their launch to the `first-paint <epoch>` line they print once the
paint has finished (wall clock, shared by both); tearing the process down is not part of startup. The app
exits by itself after that paint (MLX_MANAGER_EXIT_AFTER_FIRST_PAINT).

Bytecode: an installed app has its .pyc files, so the children may write and read them (in a private folder,
PYTHONPYCACHEPREFIX, never in the tree) even where the caller sets PYTHONDONTWRITEBYTECODE; an untimed
warm-up launch of each writes them and warms the page cache.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

BARE_WINDOW = """
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

class FirstPaint(QObject):
    done = False

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and not self.done:
            self.done = True
            QTimer.singleShot(0, self.painted)
        return False

    def painted(self):
        import time
        print(f"first-paint {time.time():.6f}", flush=True)
        QApplication.quit()

app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1100, 760)
spy = FirstPaint()
window.installEventFilter(spy)
window.show()
sys.exit(app.exec())
"""
HEAVY_MODULES = ("httpx", "huggingface_hub", "mlx", "mlx_lm", "transformers")


def bench(name: str, value: float, note: str = "") -> None:
    print(f"BENCH {name} {value:.2f}" + (f"  # {note}" if note else ""), flush=True)


def build_cache(root: Path, models: int) -> Path:
    from tests.cachebuilder import CacheBuilder, readme, sample_config

    cache = CacheBuilder(root)
    for i in range(models):
        config = sample_config(i)
        cache.add_model(f"org{i % 97}/model-{i}", {
            "config.json": config, "README.md": readme(library_name="mlx" if "quantization" in config else None),
            "model.safetensors": b"w" * 64})
    return cache.root


def _env(cache_root: Path, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(HF_HUB_CACHE=str(cache_root), MLX_MANAGER_CACHE_DIR=str(tmp / "mlxm"),
               MLX_MANAGER_EXIT_AFTER_FIRST_PAINT="1", HF_HUB_OFFLINE="1", PYTHONPYCACHEPREFIX=str(tmp / "pyc"))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return env


def _timed(args: list[str], env: dict[str, str]) -> float:
    start = time.time()
    out = subprocess.run(args, env=env, cwd=ROOT, check=True, timeout=120, capture_output=True, text=True).stdout
    stamps = [float(line.split()[1]) for line in out.splitlines() if line.startswith("first-paint ")]
    if not stamps:
        raise RuntimeError(f"{args} exited without reporting a first paint")
    return stamps[0] - start


def heavy_modules_loaded(env: dict[str, str]) -> list[str]:
    """Modules that must stay off the startup path, as `-X importtime` saw the app load them."""
    imports = subprocess.run([sys.executable, "-X", "importtime", "-m", "app"], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=120).stderr
    loaded = {line.rsplit("|", 1)[-1].strip() for line in imports.splitlines() if line.startswith("import time:")}
    return sorted(m for m in loaded if m.split(".")[0] in HEAVY_MODULES)


def measure(models: int, runs: int, *, cold: bool) -> tuple[list[float], list[float], list[str]]:
    """(ours, bare, heavy modules) in seconds; `cold`: a fresh app cache folder for every launch of ours."""
    with tempfile.TemporaryDirectory(prefix="mlxm-startup-") as name:
        tmp = Path(name)
        env = _env(build_cache(tmp / "hub", models), tmp)
        bare_script = tmp / "bare.py"
        bare_script.write_text(BARE_WINDOW)
        ours_cmd = [sys.executable, "-m", "app"]
        bare_cmd = [sys.executable, str(bare_script)]

        def ours_env(run: int) -> dict[str, str]:
            return dict(env, MLX_MANAGER_CACHE_DIR=str(tmp / f"fresh-{run}")) if cold else env

        _timed(ours_cmd, ours_env(-1)), _timed(bare_cmd, env)  # .pyc files, page cache; the memo when warm
        ours: list[float] = []
        bare: list[float] = []
        for run in range(runs):
            ours.append(_timed(ours_cmd, ours_env(run)))
            bare.append(_timed(bare_cmd, env))
        heavy = heavy_modules_loaded(ours_env(runs))
    return ours, bare, heavy


def _report(name: str, target: str, models: int, ours: list[float], bare: list[float], heavy: list[str]) -> float:
    ratio = statistics.median(ours) / statistics.median(bare)
    print(f"# {name}: ours median {statistics.median(ours) * 1000:.0f} ms "
          f"(min {min(ours) * 1000:.0f}), bare QMainWindow {statistics.median(bare) * 1000:.0f} ms "
          f"(min {min(bare) * 1000:.0f}); {len(ours)} runs, {models} local models; "
          f"heavy modules on the startup path: {', '.join(heavy) or 'none'}", flush=True)
    bench(name, ratio, target)
    return ratio


def startup_ratio(models: int = 1_000, runs: int = 7) -> float:
    ours, bare, heavy = measure(models, runs, cold=False)
    return _report("startup_ratio", "target <= 2.0", models, ours, bare, heavy)


def cold_startup_ratio(models: int = 2_000, runs: int = 7) -> float:
    ours, bare, heavy = measure(models, runs, cold=True)
    return _report("cold_startup_ratio", "target <= 2.5", models, ours, bare, heavy)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", choices=("warm", "cold"))
    args = parser.parse_args(argv)
    if args.only != "cold":
        startup_ratio(runs=args.runs)
    if args.only != "warm":
        cold_startup_ratio(runs=args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
