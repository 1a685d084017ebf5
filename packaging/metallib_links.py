"""Put `mlx.metallib` beside every `libmlx.dylib` in a built bundle (as a relative link).

MLX looks for its GPU kernels next to the library the process loaded (the path dyld reports), then in a few
fixed places. PyInstaller collects libmlx into `mlx/lib` and also links it from the top of
`Contents/Frameworks`; the process may load it through either path, so the metallib must be beside both.
A link costs nothing; a second copy would cost the metallib's whole size (over 100 MB).

    python packaging/metallib_links.py "dist/MLX Manager.app"
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

LIBRARY, KERNELS = "libmlx.dylib", "mlx.metallib"


def link_kernels(bundle: Path) -> list[Path]:
    """Create the missing links; returns them. Raises FileNotFoundError when the bundle has no metallib."""
    found = sorted(p for p in bundle.rglob(KERNELS) if p.is_file() and not p.is_symlink())
    if not found:
        raise FileNotFoundError(f"no {KERNELS} in {bundle}: MLX could not run on the GPU")
    made = []
    for library in sorted(bundle.rglob(LIBRARY)):
        beside = library.parent / KERNELS
        if beside.exists():
            continue
        beside.symlink_to(os.path.relpath(found[0], library.parent))
        made.append(beside)
    return made


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    try:
        made = link_kernels(Path(argv[0]))
    except FileNotFoundError as exc:
        print(f"metallib_links: {exc}", file=sys.stderr)
        return 1
    for link in made:
        print(f"linked {link} -> {os.readlink(link)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
