"""Read the installed mlx-lm's registry without importing mlx-lm (or mlx).

Importing `mlx_lm` pulls in mlx, transformers and its generation stack (seconds). Its registry is plain
data: the model modules are files in `mlx_lm/models`, and the remapping tables are dict literals in
`mlx_lm/utils.py`, so both are read from the sources (only when a table is not a literal does this fall
back to importing `mlx_lm.utils`). Call it off the GUI thread; the result is cached per mlx-lm version,
in this process and in a small JSON file next to the config store.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import pkgutil
import threading
from pathlib import Path
from typing import Any

from app.core.mlx_support import Registry
from app.services import paths

log = logging.getLogger(__name__)
CACHE_FILE = "mlx-lm-registry.json"
_TABLES = ("MODEL_REMAPPING", "MODEL_ARCHITECTURE_REMAPPING")
_cached: dict[tuple[str, str], Registry] = {}
_lock = threading.Lock()


def installed_version() -> str | None:
    try:
        return importlib.metadata.version("mlx-lm")
    except importlib.metadata.PackageNotFoundError:
        return None


def package_dir() -> Path | None:
    """mlx_lm's folder, found without running its `__init__` (find_spec of a top-level name imports nothing)."""
    try:
        spec = importlib.util.find_spec("mlx_lm")
    except (ImportError, ValueError):
        return None
    locations = list(spec.submodule_search_locations or ()) if spec is not None else []
    return Path(locations[0]) if locations else None


def read_registry() -> Registry | None:
    """The installed mlx-lm's registry, or None when mlx-lm is not installed."""
    version = installed_version()
    folder = package_dir()
    if version is None or folder is None:
        return None
    key = (version, str(folder))
    with _lock:
        found = _cached.get(key)
        if found is None:
            found = _from_file(key)
            if found is None:
                found = _scan(version, folder)
                _to_file(key, found)
            _cached[key] = found
        return found


def model_modules(models_dir: Path) -> frozenset[str]:
    """The modules that define an architecture (a `Model` and its `ModelArgs`), not the helpers."""
    names = set()
    for info in pkgutil.iter_modules([str(models_dir)]):
        if info.ispkg:
            continue
        try:
            text = (models_dir / f"{info.name}.py").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if "class Model(" in text and "ModelArgs" in text:
            names.add(info.name)
    return frozenset(names)


def remapping_tables(utils_source: str) -> dict[str, Any]:
    """The remapping dict literals assigned at module level in mlx_lm/utils.py (missing ones left out)."""
    tables: dict[str, Any] = {}
    for node in ast.parse(utils_source).body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id in _TABLES:
                with contextlib.suppress(ValueError, TypeError, SyntaxError):
                    tables[target.id] = ast.literal_eval(value)
    return tables


def _scan(version: str, folder: Path) -> Registry:
    modules = model_modules(folder / "models")
    try:
        tables = remapping_tables((folder / "utils.py").read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        tables = {}
    if "MODEL_REMAPPING" not in tables:
        tables = _imported_tables()
    remap = tables.get("MODEL_REMAPPING")
    arch = tables.get("MODEL_ARCHITECTURE_REMAPPING")
    return Registry(
        version=version,
        modules=modules,
        remapping={str(k): str(v) for k, v in remap.items()} if isinstance(remap, dict) else {},
        architecture_remapping={(str(k[0]), str(k[1])): str(v) for k, v in arch.items()
                                if isinstance(k, tuple) and len(k) == 2} if isinstance(arch, dict) else {},
    )


def _imported_tables() -> dict[str, Any]:
    """The slow way, when the tables moved or stopped being literals: import mlx_lm.utils (seconds)."""
    try:
        utils = importlib.import_module("mlx_lm.utils")
    except Exception as exc:  # noqa: BLE001 - logged: a broken install means no remapping, not no answer
        log.warning("mlx_lm.utils could not be imported: %s", exc)
        return {}
    return {name: getattr(utils, name) for name in _TABLES if isinstance(getattr(utils, name, None), dict)}


def _cache_path() -> Path:
    return paths.cache_dir() / CACHE_FILE


def _from_file(key: tuple[str, str]) -> Registry | None:
    try:
        data = json.loads(_cache_path().read_text(encoding="utf-8"))
        if data.get("key") != list(key):
            return None
        return Registry(
            version=str(data["version"]),
            modules=frozenset(str(m) for m in data["modules"]),
            remapping={str(k): str(v) for k, v in data["remapping"].items()},
            architecture_remapping={(str(a), str(b)): str(v) for a, b, v in data["architecture_remapping"]},
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _to_file(key: tuple[str, str], registry: Registry) -> None:
    data = {
        "key": list(key),
        "version": registry.version,
        "modules": sorted(registry.modules),
        "remapping": dict(registry.remapping),
        "architecture_remapping": [[a, b, v] for (a, b), v in registry.architecture_remapping.items()],
    }
    path = _cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        pass  # only the next launch's speed is lost


def forget_cached() -> None:
    with _lock:
        _cached.clear()
