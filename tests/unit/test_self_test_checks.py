"""The self-test's macOS-only decisions, exercised here with the platform and the Metal device stood in for:
a missing metallib fails the MLX part naming where it looked, and a virtual machine's Metal device (GitHub's
macOS runners) sends the MLX part to the CPU, saying so, and skips the toy answer."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import mlx.core as mx
import pytest

from app.self_test import checks
from app.self_test.runner import CheckFailed

PARAVIRTUAL = "Apple Paravirtual device"


@pytest.fixture
def on_macos(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """sys.platform says darwin, and the loaded libmlx is a file in tmp_path; returns its folder."""
    library = tmp_path / "Frameworks" / "libmlx.dylib"
    library.parent.mkdir()
    library.write_bytes(b"\xcf\xfa\xed\xfe")
    monkeypatch.setattr(sys, "platform", "darwin")  # the same sys module the checks read
    monkeypatch.setattr(checks, "loaded_library", lambda stem: library)
    yield library.parent
    mx.set_default_device(mx.cpu)


def test_a_missing_metallib_fails_the_mlx_part_naming_the_library(on_macos: Path) -> None:
    with pytest.raises(CheckFailed) as failed:
        checks.check_mlx()
    assert str(failed.value) == (f"mlx.metallib is not beside {on_macos / 'libmlx.dylib'}: "
                                 "MLX cannot find its GPU kernels there")


def test_on_a_virtual_machine_the_mlx_part_runs_on_the_cpu_and_says_so(on_macos: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (on_macos / "mlx.metallib").write_bytes(b"MTLB")
    monkeypatch.setattr(checks, "metal_problem", lambda: f"the Metal device is a virtual machine's ({PARAVIRTUAL})")
    detail = checks.check_mlx()
    assert "= 20 on the default device, the cpu" in detail
    assert f"mlx.metallib beside {on_macos / 'libmlx.dylib'}" in detail
    assert f"({PARAVIRTUAL}), so this ran on the CPU" in detail


def test_a_paravirtual_metal_device_is_named_as_the_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mx, "metal", SimpleNamespace(is_available=lambda: True), raising=False)
    monkeypatch.setattr(mx, "device_info", lambda: {"device_name": PARAVIRTUAL}, raising=False)
    assert checks.metal_problem() == f"the Metal device is a virtual machine's ({PARAVIRTUAL})"
    monkeypatch.setattr(mx, "device_info", lambda: {"device_name": "Apple M3 Max"}, raising=False)
    assert checks.metal_problem() is None
    monkeypatch.setattr(mx, "metal", SimpleNamespace(is_available=lambda: False), raising=False)
    assert checks.metal_problem() == "no Metal device here"


def test_the_toy_answer_is_not_run_without_a_usable_gpu_on_macos(on_macos: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks, "metal_problem", lambda: "no Metal device here")
    detail = checks.check_try(tmp_path / "hub")
    assert detail.startswith("not run: no Metal device here")
    assert not (tmp_path / "hub").exists()  # nothing was written, no worker started
