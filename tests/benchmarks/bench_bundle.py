"""The size of the Linux one-folder bundle (`BENCH bundle_size_mb`), and what takes the room.

    python tests/benchmarks/bench_bundle.py [FOLDER]

FOLDER is a built bundle (default: dist/mlx-manager, as `make package` leaves it); when it is missing, the
spec is built first into build/bench-bundle (a few minutes, at low priority). Sizes are MiB on disk, as
`du -s` counts them (what a person's disk gives up). The untrimmed spec measured 368 MB (`BASELINE_MB`);
what each exclusion saved is in packaging/README.md.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASELINE_MB = 368.0  # the spec before exclusions (Linux one-folder build, 2026-11-30)
MIB = 1 << 20


def build(work: Path) -> Path:
    command = ["nice", "-n", "10", sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level",
               "WARN", "--distpath", str(work / "dist"), "--workpath", str(work / "work"),
               str(ROOT / "packaging" / "mlx_manager.spec")]
    subprocess.run(command, cwd=ROOT, check=True)
    return work / "dist" / "mlx-manager"


def sizes(folder: Path) -> tuple[int, Counter[str]]:
    """Bytes on disk in all, and per top-level part (a package folder, or a library without its version)."""
    total, parts = folder.lstat().st_blocks * 512, Counter[str]()
    internal = folder / "_internal"
    for path in folder.rglob("*"):
        size = path.lstat().st_blocks * 512
        total += size
        relative = path.relative_to(internal) if internal in path.parents else path.relative_to(folder)
        head = relative.parts[0]
        parts[head.split(".so")[0] if len(relative.parts) == 1 else head] += size
    return total, parts


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else ROOT / "dist" / "mlx-manager"
    if not folder.is_dir():
        print(f"# {folder} is not built: building the spec into build/bench-bundle", flush=True)
        folder = build(ROOT / "build" / "bench-bundle")
    total, parts = sizes(folder)
    size_mb = total / MIB
    print(f"BENCH bundle_size_mb {size_mb:.1f}")
    print(f"BENCH bundle_size_ratio {size_mb / BASELINE_MB:.3f}  # against {BASELINE_MB:.0f} MB before exclusions")
    for name, size in parts.most_common(12):
        print(f"# {size / MIB:7.1f} MB  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
