"""What the bundle leaves out, and why; used by `mlx_manager.spec` (PyInstaller runs the spec as Python).

Every exclusion is something the app never runs. What each one saved on the Linux one-folder build is
measured by `tests/benchmarks/bench_bundle.py` (it prints the figures) and summed up in packaging/README.md.
Nothing here is compressed with UPX: it breaks code signatures on macOS and Qt's plugins on Linux.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

# Modules PyInstaller would follow from an import somewhere, which the app never executes.
EXCLUDED_MODULES = {
    # Development tools in the same venv (pulled in through optional imports of test helpers).
    "mypy": "type checker", "mypyc": "type checker", "ast_serialize": "mypy's parser", "librt": "mypyc runtime",
    "hypothesis": "test library", "pytest": "test runner", "_pytest": "test runner", "pytestqt": "test plugin",
    "pluggy": "test runner", "PyInstaller": "the bundler itself", "setuptools": "packaging", "pkg_resources":
    "packaging", "pip": "installer", "ruff": "linter", "importlinter": "linter", "grimp": "linter",
    # Command-line front ends of libraries (mlx-lm's chat UI, huggingface_hub's CLI), not used by the app.
    "rich": "mlx-lm's chat UI", "pygments": "rich's highlighting", "markdown_it": "rich's markdown",
    "click": "huggingface_hub's MCP CLI", "typer": "huggingface_hub's CLI",
    # Servers and UIs the app does not start.
    "pydantic": "huggingface_hub's webhooks server", "pydantic_core": "pydantic",
    "tkinter": "Tk GUI", "IPython": "notebooks", "pydoc_data": "help() topics",
    # Frameworks transformers supports but the app does not run (MLX does the compute).
    "torch": "PyTorch", "tensorflow": "TensorFlow", "jax": "JAX", "flax": "JAX", "pandas": "data frames",
    "scipy": "scientific Python", "matplotlib": "plots",
    # transformers' training, pipelines and tests: the app uses its tokenizers and configs only.
    "transformers.pipelines": "inference pipelines (PyTorch)", "transformers.trainer": "training",
    "transformers.trainer_callback": "training", "transformers.trainer_pt_utils": "training",
    "transformers.trainer_seq2seq": "training", "transformers.training_args": "training",
    "transformers.training_args_seq2seq": "training", "transformers.testing_utils": "tests",
    "transformers.commands": "the transformers CLI", "transformers.cli": "the transformers CLI",
    "transformers.optimization": "training", "transformers.hyperparameter_search": "training",
    # Qt modules the app does not import.
    "PySide6.QtQml": "QML", "PySide6.QtQuick": "QML", "PySide6.QtWebEngineCore": "web views",
    "PySide6.Qt3DCore": "3D", "PySide6.QtOpenGL": "OpenGL", "PySide6.QtOpenGLWidgets": "OpenGL",
}

# transformers.models.<name>.<kind>_*: PyTorch models and image/audio/video processors. Without torch they
# cannot run; the app (through mlx-lm) needs only each model's configuration and tokenization modules.
TRANSFORMERS_TORCH_KINDS = ("modeling_", "modular_", "image_processing_", "video_processing_",
                            "feature_extraction_", "processing_", "convert_")

# Qt plugins for hardware and services the app does not use. Kept: the platforms a desktop needs (cocoa,
# xcb, wayland, offscreen for the self-test), styles, platform themes, input methods, the SVG icon engine.
DROPPED_PLUGIN_FOLDERS = ("egldeviceintegrations", "generic", "networkinformation", "tls", "qmltooling",
                          "sqldrivers", "multimedia", "position", "sensors", "canbus", "webview")
DROPPED_PLATFORMS = ("libqeglfs", "libqlinuxfb", "libqminimal", "libqminimalegl", "libqvnc", "libqvkkhrdisplay")
KEPT_IMAGE_FORMATS = ("libqsvg",)  # the app's icons are SVG; PNG is built into Qt
# Libraries only the dropped platform plugins load.
DROPPED_QT_LIBRARIES = ("libQt6EglFSDeviceIntegration", "libQt6EglFsKmsSupport")


def transformers_torch_modules() -> list[str]:
    spec = importlib.util.find_spec("transformers")
    if spec is None or not spec.submodule_search_locations:
        return []
    models = Path(next(iter(spec.submodule_search_locations))) / "models"
    found = []
    for package in sorted(p for p in models.iterdir() if p.is_dir() and p.name != "auto"):
        for file in sorted(package.glob("*.py")):
            if file.name.startswith(TRANSFORMERS_TORCH_KINDS):
                found.append(f"transformers.models.{package.name}.{file.stem}")
    return found


def excluded_modules() -> list[str]:
    return [*EXCLUDED_MODULES, *transformers_torch_modules()]


def dropped_reason(dest: str) -> str | None:
    """Why a collected file (its path inside the bundle) is left out, or None to keep it."""
    parts = Path(dest).parts
    name = parts[-1] if parts else ""
    if "translations" in parts and "Qt" in parts:
        return "Qt translations (the app is in English)"
    if any(name.startswith(lib) for lib in DROPPED_QT_LIBRARIES):
        return "Qt EGLFS (embedded displays)"
    if "plugins" in parts:
        folder = parts[parts.index("plugins") + 1] if len(parts) > parts.index("plugins") + 1 else ""
        if folder in DROPPED_PLUGIN_FOLDERS:
            return f"Qt {folder} plugins"
        if folder == "platforms" and Path(name).stem.split(".")[0] in DROPPED_PLATFORMS:
            return "Qt platform plugins for embedded displays"
        if folder == "imageformats" and Path(name).stem.split(".")[0] not in KEPT_IMAGE_FORMATS:
            return "Qt image formats the app never reads"
    top = parts[0] if parts else ""
    for module in EXCLUDED_MODULES:
        if "." not in module and top.lower().startswith(module.lower() + "-") and top.endswith(".dist-info"):
            return f"metadata of {module} (excluded)"
    return None


def trim(toc: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The TOC without the entries `dropped_reason` names."""
    return [entry for entry in toc if dropped_reason(entry[0]) is None]


def mlx_binaries() -> list[tuple[str, str]]:
    """libmlx and mlx.metallib into mlx/lib, side by side: MLX looks for the metallib next to the library
    first. mlx has no PyInstaller hook, so without this the bundle runs MLX without its GPU kernels."""
    spec = importlib.util.find_spec("mlx")
    if spec is None or not spec.submodule_search_locations:
        return []
    lib = Path(next(iter(spec.submodule_search_locations))) / "lib"
    names = ("libmlx.dylib", "mlx.metallib", "libmlx.so")
    return [(str(lib / name), "mlx/lib") for name in names if (lib / name).is_file()]


def strip_debug(toc: list[tuple[str, str, str]], work: Path) -> list[tuple[str, str, str]]:
    """On Linux, libpython's debug symbols removed (17 MB of 23) from a copy in `work`. Only libpython:
    PyInstaller's blanket `strip` also rewrites the wheels' vendored libraries (patched by auditwheel), and
    numpy's OpenBLAS then fails to load ("ELF load command address/offset not page-aligned")."""
    tool = shutil.which("strip")
    if not sys.platform.startswith("linux") or tool is None:
        return toc
    result = []
    for dest, source, kind in toc:
        if Path(dest).name.startswith("libpython"):
            copy = work / "stripped" / Path(dest).name
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy)
            subprocess.run([tool, "--strip-debug", str(copy)], check=True)
            source = str(copy)
        result.append((dest, source, kind))
    return result
