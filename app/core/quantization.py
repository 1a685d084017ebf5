"""Quantization: MLX (`quantization`, often copied in `quantization_config`) and other methods."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.core.text_config import TextView
from app.core.values import as_bool, as_float, as_int, as_str


@dataclass(frozen=True)
class Quantization:
    bits: float | None = None
    group_size: int | None = None
    mode: str | None = None
    is_mixed: bool | None = None
    problem: str | None = None  # what could not be read, when the config has quantization it garbles


NONE = Quantization()


def extract(view: TextView) -> Quantization:
    for scope in view.scopes:
        mlx = scope.get("quantization")
        if isinstance(mlx, Mapping) and mlx:
            return _mlx(mlx)
        if mlx not in (None, False, {}, "", []) and not isinstance(mlx, Mapping):
            return Quantization(problem=f"quantization is {_shown(mlx)}, not an object")
    for scope in view.scopes:
        qc = scope.get("quantization_config")
        if isinstance(qc, Mapping) and qc:
            method = as_str(qc.get("quant_method"))
            if method is None and ("bits" in qc or "group_size" in qc):
                return _mlx(qc)  # MLX's copy without the original `quantization` key
            return _other(qc, method)
    return NONE


def _unreadable(q: Mapping[str, Any], bits: float | None, group: int | None) -> str | None:
    """Why the bits or the group size given cannot be read (None when both read or are absent)."""
    if q.get("bits") is not None and bits is None:
        return f"bits {_shown(q['bits'])} is not a number of bits"
    raw_group = q.get("group_size")
    no_groups = isinstance(raw_group, int) and not isinstance(raw_group, bool) and raw_group <= 0  # GPTQ's -1
    if raw_group is not None and group is None and not no_groups:
        return f"group_size {_shown(q['group_size'])} is not a group size"
    return None


def _shown(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 24 else text[:21] + "..."


def _mlx(q: Mapping[str, Any]) -> Quantization:
    bits = _bits(q.get("bits"))
    group = as_int(q.get("group_size"), maximum=1 << 16)
    problem = _unreadable(q, bits, group)
    mode = (as_str(q.get("mode")) or "affine").lower()
    mixed = False
    for value in q.values():
        # Per-layer overrides are keyed by module path: a dict with its own bits, or False (kept full).
        if isinstance(value, Mapping):
            layer_bits = _bits(value.get("bits"))
            if layer_bits is not None and layer_bits != bits:
                mixed = True
            if as_str(value.get("mode")) not in (None, mode):
                mixed = True
        elif value is False:
            mixed = True
    if bits is None and group is None:
        return Quantization(mode=mode if "mode" in q else None, is_mixed=mixed or None, problem=problem)
    return Quantization(bits=bits, group_size=group, mode=mode, is_mixed=mixed, problem=problem)


_METHOD_BITS = {"fp8": 8.0, "fbgemm_fp8": 8.0, "eetq": 8.0, "mxfp4": 4.0, "bitnet": 1.58, "nvfp4": 4.0,
                "mxfp8": 8.0, "fp_quant": 4.0}


def _other(qc: Mapping[str, Any], method: str | None) -> Quantization:
    name = (method or "unknown").lower()
    bits = _bits(qc.get("bits")) or _bits(qc.get("nbits")) or _bits(qc.get("w_bit")) or _bits(qc.get("wbits"))
    group = as_int(qc.get("group_size"), maximum=1 << 16) or as_int(qc.get("q_group_size"), maximum=1 << 16)
    if name == "bitsandbytes":
        if as_bool(qc.get("load_in_4bit")):
            bits = 4.0
        elif as_bool(qc.get("load_in_8bit")):
            bits = 8.0
    elif name == "modelopt":
        algo = as_str(qc.get("quant_algo"))
        group = group or _config_groups_group_size(qc)
        if algo:
            name = algo.lower()  # NVFP4 / FP8 / W4A16_AWQ...: the format is what a person recognises
            bits = bits or _METHOD_BITS.get(name) or _bits_in_name(name)
        bits = bits or _compressed_tensors_bits(qc)
    elif name == "compressed-tensors":
        bits = bits or _compressed_tensors_bits(qc)
        group = group or _config_groups_group_size(qc)
    elif name == "quanto":
        weights = as_str(qc.get("weights")) or ""
        bits = bits or _bits_in_name(weights)
    if bits is None:
        bits = _METHOD_BITS.get(name)
    problem = _unreadable(qc, bits, group) if bits is None or group is None else None
    return Quantization(bits=bits, group_size=group, mode=name, is_mixed=False, problem=problem)


def _compressed_tensors_bits(qc: Mapping[str, Any]) -> float | None:
    groups = qc.get("config_groups")
    if not isinstance(groups, Mapping):
        return None
    found: set[float] = set()
    for group in groups.values():
        if isinstance(group, Mapping) and isinstance(group.get("weights"), Mapping):
            bits = _bits(group["weights"].get("num_bits"))
            if bits is not None:
                found.add(bits)
    return min(found) if found else None


def _config_groups_group_size(qc: Mapping[str, Any]) -> int | None:
    """The weights' group size in `config_groups` (ModelOpt and compressed-tensors), when the groups agree."""
    groups = qc.get("config_groups")
    if not isinstance(groups, Mapping):
        return None
    found: set[int] = set()
    for group in groups.values():
        if isinstance(group, Mapping) and isinstance(group.get("weights"), Mapping):
            size = as_int(group["weights"].get("group_size"), maximum=1 << 16)
            if size is not None:
                found.add(size)
    return found.pop() if len(found) == 1 else None


def _bits_in_name(name: str) -> float | None:
    import re

    match = re.search(r"(?:int|fp|w|nf)(\d{1,2})", name.lower())
    return _bits(match.group(1)) if match else None


def _bits(value: object) -> float | None:
    number = as_float(value, minimum=1.0, maximum=32.0)
    return number


def label(bits: float | None, mode: str | None, mixed: bool | None, dtype: str | None) -> str | None:
    """What a quantization badge says."""
    if mode in ("mxfp4", "nvfp4", "mxfp8", "fp8", "fbgemm_fp8"):
        return ("FP8" if "fp8" in mode and mode != "mxfp8" else mode.upper()) + (" mixed" if mixed else "")
    if bits is not None:
        text = f"{bits:g}-bit"
        if mode not in (None, "affine"):
            text = f"{text} {_METHOD_NAMES.get(mode, mode.upper())}"
        return text + (" mixed" if mixed else "")
    if mode is not None:
        return _METHOD_NAMES.get(mode, mode.upper())
    return _DTYPE_LABELS.get(dtype or "")


_METHOD_NAMES = {"gptq": "GPTQ", "awq": "AWQ", "bitsandbytes": "bnb", "fp8": "FP8", "compressed-tensors": "CT",
                 "hqq": "HQQ", "gguf": "GGUF", "fbgemm_fp8": "FP8", "bitnet": "BitNet"}
_DTYPE_LABELS = {"bfloat16": "BF16", "float16": "FP16", "float32": "FP32"}
