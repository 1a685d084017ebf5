"""What the bundle leaves out (packaging/bundle_trim.py) never includes something the app runs."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_bundle_trim() -> ModuleType:
    """packaging/ is not a package: load the module from its file, as the spec does through sys.path."""
    spec = importlib.util.spec_from_file_location("bundle_trim", ROOT / "packaging" / "bundle_trim.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bundle_trim = _load_bundle_trim()


def app_imports() -> set[str]:
    found: set[str] = set()
    for file in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
    return found


def test_nothing_the_app_imports_is_excluded() -> None:
    excluded = set(bundle_trim.excluded_modules())
    imported = app_imports()
    assert "PySide6.QtWidgets" in imported and "mlx_lm.utils" in imported  # the walk sees the app's imports
    clashes = sorted(name for name in imported
                     if any(name == ex or name.startswith(ex + ".") for ex in excluded))
    assert not clashes


def test_transformers_keeps_configs_and_tokenizers_and_drops_torch_models() -> None:
    dropped = set(bundle_trim.transformers_torch_modules())
    if not dropped:
        pytest.skip("transformers is not installed")
    assert "transformers.models.llama.modeling_llama" in dropped
    assert "transformers.models.qwen2_vl.image_processing_qwen2_vl" in dropped
    kept = ("transformers.models.llama.configuration_llama", "transformers.models.llama.tokenization_llama",
            "transformers.models.auto.modeling_auto", "transformers.models.auto.tokenization_auto")
    assert not dropped.intersection(kept)


@pytest.mark.parametrize("dest", [
    "PySide6/Qt/plugins/platforms/libqxcb.so", "PySide6/Qt/plugins/platforms/libqwayland.so",
    "PySide6/Qt/plugins/platforms/libqoffscreen.so", "PySide6/Qt/plugins/platforms/libqcocoa.dylib",
    "PySide6/Qt/plugins/styles/libqmacstyle.dylib", "PySide6/Qt/plugins/imageformats/libqsvg.so",
    "PySide6/Qt/plugins/iconengines/libqsvgicon.so", "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    "PySide6/Qt/plugins/platforminputcontexts/libibusplatforminputcontextplugin.so",
    "hf_xet-1.8.0.dist-info/METADATA", "mlx/lib/mlx.metallib", "mlx/lib/libmlx.dylib", "resources/icons/app-icon.svg",
])
def test_what_a_person_needs_is_kept(dest: str) -> None:
    assert bundle_trim.dropped_reason(dest) is None


@pytest.mark.parametrize("dest", [
    "PySide6/Qt/translations/qt_de.qm", "PySide6/Qt/plugins/platforms/libqeglfs.so",
    "PySide6/Qt/plugins/imageformats/libqjpeg.so", "PySide6/Qt/plugins/tls/libqopensslbackend.so",
    "libQt6EglFSDeviceIntegration.so.6", "pydantic-2.14.4.dist-info/METADATA",
])
def test_what_the_app_never_uses_is_dropped(dest: str) -> None:
    assert bundle_trim.dropped_reason(dest)
