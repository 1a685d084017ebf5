"""The self-test's checks: one small function per run-time part, each returning what it saw in words and
raising (`CheckFailed` with a sentence, or whatever the part raised) when the part does not start."""

from __future__ import annotations

import asyncio
import ctypes
import importlib
import os
import platform
import sys
from functools import partial
from pathlib import Path
from typing import Any

from app.self_test.runner import Check, CheckFailed
from app.self_test.sample_cache import tiny_llama_config, write_sample_cache

COMMAND_MODULES = {"try": "try_model"}  # as app/cli.py dispatches them; the others share the command's name
TRY_TOKENS = 4
WORKER_TIMEOUT = 120.0  # a cold start of a frozen bundle on a slow runner takes seconds, not minutes


def all_checks(place: Path) -> list[Check]:
    """Every run-time part, in the order a launch needs them; `place` is the self-test's temp folder."""
    return [
        ("python", check_python),
        ("commands", check_commands),
        ("qt", check_qt),
        ("window", partial(check_window, place / "hub")),
        ("store", check_store),
        ("hub_client", check_hub_client),
        ("mlx", check_mlx),
        ("mlx_lm", check_mlx_lm),
        ("hf_xet", check_hf_xet),
        ("worker", check_worker),
        ("try", partial(check_try, place / "hub")),
    ]


def check_python() -> str:
    where = "the frozen bundle" if getattr(sys, "frozen", False) else "source"
    return (f"Python {platform.python_version()} ({platform.python_implementation()}) on {platform.system()} "
            f"{platform.machine()}, from {where}: {sys.executable}")


def check_commands() -> str:
    """Every command of the command line has its module here (the CLI imports some by name, which a bundler
    cannot see)."""
    import argparse

    from app.cli import build_parser

    commands = [name for action in build_parser()._actions if isinstance(action, argparse._SubParsersAction)
                for name in action.choices]
    if not commands:
        raise CheckFailed("the command line lists no commands")
    missing = []
    for name in commands:
        try:
            importlib.import_module(f"app.commands.{COMMAND_MODULES.get(name, name)}")
        except ImportError as exc:
            missing.append(f"{name} ({exc})")
    if missing:
        raise CheckFailed(f"commands that cannot start: {'; '.join(missing)}")
    return f"{len(commands)} commands importable: {', '.join(commands)}"


def check_qt() -> str:
    import PySide6
    import shiboken6
    from PySide6 import QtCore

    pyside, built_with = getattr(PySide6, "__version__", "?"), getattr(QtCore, "__version__", "?")
    return (f"Qt {QtCore.qVersion()} (PySide6 {pyside} built with Qt {built_with}), "
            f"shiboken6 {getattr(shiboken6, '__version__', '?')}")


def check_window(cache: Path) -> str:
    """The real window, built the way a launch builds it (offscreen), listing and painting a temp cache."""
    import argparse

    from app.self_test import window_probe
    from app.ui.application import run_app

    samples = write_sample_cache(cache)
    window_probe.expect(samples)
    args = argparse.Namespace(self_test=True, view="my", screenshot=None, query=None, expand=None, dark=False,
                              size=None, quick_search=None)
    code = run_app(args)
    if code != 0:
        raise CheckFailed(f"the window's run ended with exit code {code}")
    return window_probe.seen()


def check_store() -> str:
    import sqlite3

    from app.services.config_store import ConfigStore
    from app.services.paths import config_store_path

    store = ConfigStore(config_store_path())
    try:
        missing = store.get("self-test/not-stored")
    finally:
        store.close()
    if missing is not None:
        raise CheckFailed("the new store answered for a model it never stored")
    return f"SQLite {sqlite3.sqlite_version} store opened at {store.path}"


def check_hub_client() -> str:
    import httpx
    import huggingface_hub

    from app.services.hub_client import HubClient

    async def create() -> tuple[str, str | None]:
        client = HubClient()  # builds the HTTP client and its pool; sends nothing
        try:
            return client.endpoint, client.setup_error
        finally:
            await client.aclose()

    endpoint, problem = asyncio.run(create())
    if problem:
        raise CheckFailed(problem)
    return (f"Hub client for {endpoint} created, no request made (httpx {httpx.__version__}, "
            f"huggingface_hub {huggingface_hub.__version__})")


def check_mlx() -> str:
    import mlx.core as mx

    notes = []
    library = loaded_library("libmlx")
    if sys.platform == "darwin":
        if library is None:
            raise CheckFailed("mlx.core imported, but libmlx.dylib is not among the loaded libraries")
        metallib = library.with_name("mlx.metallib")
        if not metallib.is_file():
            raise CheckFailed(f"mlx.metallib is not beside {library}: MLX cannot find its GPU kernels there")
        notes.append(f"mlx.metallib beside {library}")
        problem = metal_problem()
        if problem is not None:
            mx.set_default_device(mx.cpu)
            notes.append(f"{problem}, so this ran on the CPU")
    else:
        notes.append(f"the CPU build of MLX (Metal is macOS only), {library or 'libmlx not found among loaded files'}")
    device = mx.default_device()
    value = (mx.arange(1, 5, dtype=mx.float32) * 2).sum()
    mx.eval(value)
    if value.item() != 20:
        raise CheckFailed(f"2·(1+2+3+4) gave {value.item()} on the {device.type.name}")
    version = getattr(mx, "__version__", "?")
    return f"mlx {version}: 2·(1+2+3+4) = 20 on the default device, the {device.type.name}; " + "; ".join(notes)


def metal_problem() -> str | None:
    """Why MLX cannot use Metal here (None when it can): no device at all, or the paravirtual device of a
    virtual machine (GitHub's macOS runners), which cannot run MLX's kernels reliably."""
    import mlx.core as mx

    metal = getattr(mx, "metal", None)
    is_available = getattr(metal, "is_available", None)
    if not (callable(is_available) and is_available()):
        return "no Metal device here"
    info_of = getattr(mx, "device_info", None) or getattr(metal, "device_info", None)
    name = str((info_of() if callable(info_of) else {}).get("device_name", ""))
    if "paravirtual" in name.lower():
        return f"the Metal device is a virtual machine's ({name})"
    return None


def loaded_library(stem: str) -> Path | None:
    """The file this process loaded for a shared library (`libmlx` → …/libmlx.dylib or .so), if any."""
    names: list[str] = []
    if sys.platform == "darwin":
        libc = ctypes.CDLL(None)
        libc._dyld_get_image_name.restype = ctypes.c_char_p
        libc._dyld_get_image_name.argtypes = [ctypes.c_uint32]
        names = [os.fsdecode(libc._dyld_get_image_name(i) or b"") for i in range(libc._dyld_image_count())]
    elif sys.platform.startswith("linux"):
        try:
            with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
                names = [line.split(maxsplit=5)[-1].strip() for line in maps if "/" in line]
        except OSError:
            return None
    for name in names:
        base = os.path.basename(name)
        if base.startswith(stem + ".") or base.startswith(stem + "-"):
            return Path(name)
    return None


def check_mlx_lm() -> str:
    """The registry the badges use, and one model built with mlx-lm's own classes (imported by name, as
    mlx-lm does at load time) without weights; the app's exact count must agree."""
    from mlx.utils import tree_flatten

    from app.services.exact_params import count_exact
    from app.services.mlx_support import read_registry

    registry = read_registry()
    if registry is None:
        raise CheckFailed("mlx-lm is not installed here (no package metadata, or no mlx_lm folder)")
    config = tiny_llama_config()
    model_type = str(config["model_type"])
    if model_type not in registry.modules:
        raise CheckFailed(f"mlx-lm {registry.version}'s registry lists {len(registry.modules)} architectures and "
                          f"not {model_type!r}: its model sources are missing")
    module = importlib.import_module(f"mlx_lm.models.{model_type}")
    model = module.Model(module.ModelArgs.from_dict(config))
    leaves: Any = tree_flatten(model.parameters())
    count = sum(int(array.size) for _, array in leaves)
    exact = count_exact(config)
    if exact != count:
        raise CheckFailed(f"a tiny {model_type} has {count:,} parameters, but the app's exact count said {exact}")
    return (f"mlx-lm {registry.version}: {len(registry.modules)} architectures, {len(registry.remapping)} "
            f"remapped names; a tiny {model_type} built without weights has {count:,} parameters")


def check_hf_xet() -> str:
    import hf_xet  # type: ignore[import-untyped]
    from huggingface_hub import constants
    from huggingface_hub.utils._runtime import get_xet_version, is_xet_available  # what downloads ask

    if constants.HF_HUB_DISABLE_XET:
        return f"hf_xet loads from {Path(hf_xet.__file__ or '?').parent}; HF_HUB_DISABLE_XET is set, so downloads " \
            "use plain HTTP"
    if not is_xet_available():
        raise CheckFailed("hf_xet imports, but huggingface_hub does not see it (its package metadata is missing), "
                          "so Xet-backed downloads would fall back to plain HTTP")
    return f"huggingface_hub sees hf_xet {get_xet_version()}: Xet-backed files download through it"


def check_worker() -> str:
    """The Try worker (this program with --worker) started and answered a ping, as the app starts it."""
    from app.services.mlx_runner import MlxRunner, worker_command

    async def ping() -> dict[str, object]:
        runner = MlxRunner()
        try:
            return await asyncio.wait_for(runner.ping(), WORKER_TIMEOUT)
        finally:
            await runner.aclose()

    answer = asyncio.run(ping())
    pid = answer.get("pid")
    if answer.get("ok") is not True or not isinstance(pid, int) or pid == os.getpid():
        raise CheckFailed(f"the worker answered {answer!r}")
    command = " ".join(Path(part).name if os.sep in part else part for part in worker_command())
    device = answer.get("mlx_device")
    return f"the model worker ({command}) started as pid {pid} and answered ping; its MLX device: {device}"


def check_try(cache: Path) -> str:
    """A toy model answered through the worker, the way Try runs a downloaded one: mlx-lm loads its weights,
    transformers its tokenizer, and MLX generates a few tokens (greedy, so the same every time)."""
    from app.self_test.tiny_model import write_tiny_model
    from app.services.mlx_runner import MlxRunner, Token, TryEvent, TryFigures, TryRequest

    if sys.platform == "darwin" and (problem := metal_problem()) is not None:
        # The worker runs MLX on its default device; without a usable GPU an answer would prove nothing.
        return f"not run: {problem}; the worker's start is proven by the worker check"
    model_id = write_tiny_model(cache)
    tokens: list[str] = []

    def on_event(event: TryEvent) -> None:
        if isinstance(event, Token):
            tokens.append(event.text)

    async def answer() -> TryFigures:
        runner = MlxRunner(cache_dir=cache)
        try:
            request = TryRequest(model_id=model_id, prompt="hello world", max_tokens=TRY_TOKENS, temperature=0.0)
            return await asyncio.wait_for(runner.run(request, on_event), WORKER_TIMEOUT)
        finally:
            await runner.aclose()

    figures = asyncio.run(answer())
    if not figures.generation_tokens:
        raise CheckFailed(f"the toy model generated nothing (finish: {figures.finish_reason})")
    return (f"a toy llama loaded in the worker in {figures.load_seconds or 0:.2f} s and generated "
            f"{figures.generation_tokens} tokens ({''.join(tokens).strip()!r}, finish: {figures.finish_reason})")
