"""packaging/metallib_links.py: after it runs, every libmlx.dylib of an .app has mlx.metallib beside it, by
link (the layout is PyInstaller's: data under Contents/Resources, linked from Contents/Frameworks)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("metallib_links", ROOT / "packaging" / "metallib_links.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


metallib_links = _load()


def pyinstaller_app(root: Path) -> Path:
    app = root / "MLX Manager.app"
    frameworks, resources = app / "Contents" / "Frameworks", app / "Contents" / "Resources"
    (frameworks / "mlx" / "lib").mkdir(parents=True)
    (resources / "mlx" / "lib").mkdir(parents=True)
    (frameworks / "mlx" / "lib" / "libmlx.dylib").write_bytes(b"\xcf\xfa\xed\xfe")
    (resources / "mlx" / "lib" / "mlx.metallib").write_bytes(b"MTLB kernels")
    (frameworks / "mlx" / "lib" / "mlx.metallib").symlink_to("../../../Resources/mlx/lib/mlx.metallib")
    (frameworks / "libmlx.dylib").symlink_to("mlx/lib/libmlx.dylib")  # the top-level link PyInstaller makes
    return app


def test_the_kernels_are_found_beside_each_path_the_library_loads_from(tmp_path: Path) -> None:
    app = pyinstaller_app(tmp_path)
    made = metallib_links.link_kernels(app)
    frameworks = app / "Contents" / "Frameworks"
    assert made == [frameworks / "mlx.metallib"]
    for library in (frameworks / "libmlx.dylib", frameworks / "mlx" / "lib" / "libmlx.dylib"):
        assert (library.parent / "mlx.metallib").read_bytes() == b"MTLB kernels"
    assert not os.path.isabs(os.readlink(frameworks / "mlx.metallib"))  # stays valid wherever the app is moved
    assert metallib_links.link_kernels(app) == []  # a second run changes nothing


def test_a_bundle_without_kernels_is_an_error_naming_it(tmp_path: Path) -> None:
    app = pyinstaller_app(tmp_path)
    (app / "Contents" / "Resources" / "mlx" / "lib" / "mlx.metallib").unlink()
    with pytest.raises(FileNotFoundError, match=r"no mlx\.metallib in"):
        metallib_links.link_kernels(app)
    assert metallib_links.main([str(app)]) == 1
