"""Shared helpers for the CLI commands: one-line failures, reading a config file, printing characteristics."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from app.core.config_parse import MAX_CONFIG_BYTES, ConfigError, parse_config_object
from app.core.describe import badges, spec_rows
from app.core.model_characteristics import ModelCharacteristics
from app.core.runtime import RuntimeFacts
from app.core.runtime_describe import runtime_rows


def fail(message: str, *, code: int) -> int:
    """One line on stderr, no traceback; returns the exit code."""
    print(f"mlx-manager: {message}", file=sys.stderr)
    return code


def endpoint_problem() -> str | None:
    """What is wrong with HF_ENDPOINT, in one line; None when it is unset or a usable address."""
    import os

    from app.core.hub_address import InvalidEndpoint, parse_endpoint

    try:
        parse_endpoint(os.environ.get("HF_ENDPOINT"))
    except InvalidEndpoint as exc:
        return str(exc)
    return None


def read_config_file(path: Path) -> dict[str, object]:
    """Read and parse a config file; raises ConfigError with a one-line reason."""
    try:
        if path.is_dir():
            raise ConfigError("is a folder, not a file")
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError("no such file") from None
    except PermissionError:
        raise ConfigError("permission denied") from None
    except OSError as exc:
        raise ConfigError(f"cannot be read ({exc.strerror or exc})") from None
    return parse_config_object(data)


def runtime_for(c: ModelCharacteristics, config: dict[str, object] | None, *,
                weight_files_dir: Path | None = None) -> RuntimeFacts:
    """mlx-lm status, exact parameters and the memory verdict (imports mlx only to count)."""
    from app.services.runtime_context import RuntimeContext, snapshot_weight_bytes

    context = RuntimeContext()
    try:
        return context.facts(c, config, weight_files=snapshot_weight_bytes(weight_files_dir))
    finally:
        context.close()


def print_characteristics(
    c: ModelCharacteristics, *, as_json: bool, title: str, extra: dict[str, object] | None = None,
    runtime: RuntimeFacts | None = None,
) -> None:
    if as_json:
        payload = {**(extra or {}), **c.to_dict(), **(runtime.to_json() if runtime is not None else {})}
        json.dump(payload, sys.stdout, indent=2, allow_nan=False, default=str)
        sys.stdout.write("\n")
        return
    print(title)
    shown = badges(c)
    print("  " + ("  ".join(f"[{b}]" for b in shown) if shown else "(no badges: nothing known)"))
    rows = spec_rows(c)
    if runtime is not None:
        rows = rows + [(label, long) for label, _, long in runtime_rows(runtime)]
    width = max((len(label) for label, _ in rows), default=0)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
