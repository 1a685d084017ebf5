"""`inspect`: the characteristics of one model, from a file or (later) from a model id."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.commands.output import fail
from app.core.characteristics import ModelCharacteristics, extract_characteristics
from app.core.config_parse import MAX_CONFIG_BYTES, ConfigError, parse_config_object
from app.core.describe import badges, spec_rows
from app.core.runtime import RuntimeFacts
from app.core.runtime_describe import runtime_rows


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.config:
        return _inspect_file(Path(args.config), as_json=args.json)
    if args.model:
        from app.commands import inspect_remote

        return inspect_remote.run(args)
    parser.error("inspect needs a model id or --config FILE")
    return 2


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


def _inspect_file(path: Path, *, as_json: bool) -> int:
    try:
        config = read_config_file(path)
    except ConfigError as exc:
        return fail(f"{path}: {exc}", code=2)
    c = extract_characteristics(config)
    runtime = runtime_for(c, config, weight_files_dir=path.parent)
    print_characteristics(c, as_json=as_json, title=str(path), runtime=runtime)
    return 0


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
