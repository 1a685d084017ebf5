"""How much memory a model may use here: the budget the fit verdicts compare against.

On Apple Silicon the budget is MLX's recommended working set (`max_recommended_working_set_size` from
`mx.device_info()`, or `mx.metal.device_info()` in older mlx): what Metal lets one process wire, below
the total RAM. Elsewhere it is total RAM × 0.75, marked approximate. `MLX_MANAGER_MEMORY_BYTES`
overrides both (tests, and people who raised `iogpu.wired_limit_mb`). Reading it may import mlx, so
call it off the startup path, once.
"""

from __future__ import annotations

import logging
import os
import platform
import sys

from app.core.memory import Budget

log = logging.getLogger(__name__)

OVERRIDE = "MLX_MANAGER_MEMORY_BYTES"
OTHER_SHARE = 0.75


def memory_budget() -> Budget:
    """The budget, never raising: an unusable override is ignored (with its reason in `source`)."""
    override = os.environ.get(OVERRIDE, "").strip()
    problem = ""
    if override:
        try:
            value = int(float(override))
            if value > 0:
                return Budget(value, f"{OVERRIDE}", approximate=False)
            problem = f"; {OVERRIDE}={override!r} ignored (not positive)"
        except ValueError:
            problem = f"; {OVERRIDE}={override!r} ignored (not a number)"
    if sys.platform == "darwin" and platform.machine() == "arm64":
        recommended = _mlx_recommended()
        if recommended:
            return Budget(recommended, "MLX recommended working set" + problem, approximate=False)
    total = total_ram()
    if total:
        return Budget(int(total * OTHER_SHARE), f"75% of {_gb(total)} RAM (approximate)" + problem,
                      approximate=True)
    return Budget(8 * 1024**3, "unknown RAM: assumed 8 GiB (approximate)" + problem, approximate=True)


def _mlx_recommended() -> int | None:
    try:
        import mlx.core as mx

        info = mx.device_info() if hasattr(mx, "device_info") else mx.metal.device_info()
        value = info.get("max_recommended_working_set_size")
        return int(value) if isinstance(value, int | float) and value > 0 else None
    except Exception as exc:  # noqa: BLE001 - logged: no device info means the RAM-based budget
        log.info("MLX device info unavailable (%s); the budget comes from RAM", exc)
        return None


def total_ram() -> int | None:
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        if pages > 0 and size > 0:
            return int(pages * size)
    except (ValueError, OSError, AttributeError):
        pass
    return None


def _gb(n: int) -> str:
    return f"{n / 1e9:.1f} GB"
