"""`inspect`: the characteristics of one model, from a file or (later) from a model id."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.commands.output import fail, print_characteristics, read_config_file, runtime_for
from app.core.characteristics import extract_characteristics
from app.core.config_parse import ConfigError


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.config and args.model:
        return fail(f"give either a model id ({args.model}) or --config FILE, not both", code=2)
    if args.config:
        return _inspect_file(Path(args.config), as_json=args.json)
    if args.model:
        from app.commands import inspect_remote

        return inspect_remote.run(args)
    parser.error("inspect needs a model id or --config FILE")
    return 2


def _inspect_file(path: Path, *, as_json: bool) -> int:
    try:
        config = read_config_file(path)
    except ConfigError as exc:
        return fail(f"{path}: {exc}", code=2)
    c = extract_characteristics(config)
    runtime = runtime_for(c, config, weight_files_dir=path.parent)
    print_characteristics(c, as_json=as_json, title=str(path), runtime=runtime)
    return 0


__all__ = ["print_characteristics", "read_config_file", "run", "runtime_for"]  # kept importable from here
