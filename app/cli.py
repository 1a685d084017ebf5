"""The entry point: the GUI by default, plus `scan`, `search` and `inspect`.

Commands import what they need lazily; none of them imports Qt.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from app import __version__
from app.core.sorting import SERVER_SORTS
from app.core.window_size import MIN_HEIGHT, MIN_WIDTH

SORTS = tuple(str(key) for key in SERVER_SORTS)  # the orders the Hub does itself


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlx-manager",
        description="Find, understand and manage MLX models. Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--screenshot", metavar="PATH", help="save a PNG of the window and exit")
    parser.add_argument("--view", choices=("my", "hub"), help="start in My Models or Hugging Face")
    parser.add_argument("--query", help="search text to start with")
    parser.add_argument("--expand", type=int, metavar="N", help="open the specs of the first N cards")
    parser.add_argument("--dark", action="store_true", help="use the dark palette")
    parser.add_argument("--size", metavar="WxH",
                        help=f"window size, for example 1200x800 (at least {MIN_WIDTH}x{MIN_HEIGHT})")
    parser.add_argument("--self-test", action="store_true",
                        help="check that every run-time part starts (window, store, Hub client, MLX, mlx-lm, hf-xet, "
                        "model worker), then exit; non-zero names what failed")
    parser.add_argument("--json", dest="self_test_json", action="store_true", help="with --self-test: print JSON")
    parser.add_argument("--quick-search", metavar="QUERY",
                        help="with --screenshot: save the quick search showing QUERY's results instead of the window")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    scan = sub.add_parser("scan", help="list the models in the local Hugging Face cache")
    scan.add_argument("--json", action="store_true", help="print a JSON array")

    search = sub.add_parser("search", help="search the Hugging Face Hub for MLX models")
    search.add_argument("query", nargs="?", default="")
    search.add_argument("--author", help="only models from this user or organisation")
    search.add_argument("--sort", choices=SORTS, default="downloads")
    search.add_argument("--limit", type=int, default=20, help="number of results wanted (default 20)")
    search.add_argument("--configs", action="store_true", help="also fetch each model's config.json")
    search.add_argument("--json", action="store_true", help="print a JSON array")

    inspect = sub.add_parser("inspect", help="what a model is: badges and specs from its config.json")
    inspect.add_argument("model", nargs="?", help="a model id such as mlx-community/Qwen3-8B-4bit")
    inspect.add_argument("--config", metavar="FILE", help="read this config.json instead")
    inspect.add_argument("--json", action="store_true", help="print the characteristics as JSON")

    download = sub.add_parser("download", help="fetch what MLX needs of a model into the Hugging Face cache")
    download.add_argument("model", help="a model id such as mlx-community/Qwen3-8B-4bit")
    download.add_argument("--dry-run", action="store_true", help="only list what would be fetched")
    download.add_argument("--json", action="store_true", help="print JSON lines (plan, progress, result)")

    delete = sub.add_parser("delete", help="remove models from the Hugging Face cache")
    delete.add_argument("models", nargs="+", metavar="ORG/NAME")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    clean = sub.add_parser("clean", help="remove detached revisions and abandoned partial downloads")
    clean.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    from app.commands import try_model  # light: argparse only; the model runs in a worker process

    try_model.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if getattr(sys, "frozen", False):
        import multiprocessing

        multiprocessing.freeze_support()  # a bundled child started by multiprocessing runs its task, not the app
    if list(sys.argv[1:] if argv is None else argv)[:1] == ["--worker"]:
        # The model worker (see app/services/mlx_worker.py): before any parsing, and never Qt.
        from app.services.mlx_worker import serve

        return serve()
    try:
        return _dispatch(argv)
    except BrokenPipeError:
        # `mlx-manager scan | head`: the reader went away; that is not an error worth a traceback.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130


def _dispatch(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "scan":
        from app.commands import scan

        return scan.run(args)
    if args.command == "search":
        from app.commands import search

        return search.run(args)
    if args.command == "inspect":
        from app.commands import inspect

        return inspect.run(args, parser)
    if args.command == "try":
        from app.commands import try_model

        return try_model.run(args)
    if args.command in ("download", "delete", "clean"):
        import importlib

        return int(importlib.import_module(f"app.commands.{args.command}").run(args))
    if args.self_test:
        from app import self_test

        return self_test.run(args)
    from app.commands import gui

    return gui.run(args)


if __name__ == "__main__":
    sys.exit(main())
