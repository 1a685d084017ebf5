"""`try ORG/NAME --prompt TEXT`: a local model's answer streamed to the terminal, through the model worker.

The answer goes to stdout as it is written; what happens around it (loading, the figures) goes to stderr, so
`mlx-manager try ... > answer.txt` keeps only the answer. `--json` prints one JSON line per token
(`{"text": ..., "token": N}`) then one final line with `"done": true`, the model id and the figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.core.model_id import InvalidModelId, validate_model_id

EXIT_USAGE = 2
EXIT_CANNOT_RUN = 1


def add_parser(sub: Any) -> None:
    """The `try` subcommand's arguments (called from app/cli.py)."""
    from app.services.try_protocol import DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE

    parser = sub.add_parser("try", help="stream a local model's answer to a prompt")
    parser.add_argument("model", help="a model id in the local cache, such as mlx-community/Qwen3-8B-4bit")
    parser.add_argument("--prompt", required=True, help="what to ask (- reads it from stdin)")
    parser.add_argument("--max-tokens", type=int, default=DEFAULT_MAX_TOKENS,
                        help=f"longest answer in tokens (default {DEFAULT_MAX_TOKENS})")
    parser.add_argument("--temperature", type=float, default=DEFAULT_TEMPERATURE,
                        help=f"sampling temperature, 0 for the most likely token (default {DEFAULT_TEMPERATURE})")
    parser.add_argument("--json", action="store_true", help="one JSON line per token, then the figures")


def run(args: argparse.Namespace) -> int:
    # Here, not at the top: app/cli.py imports this module for its arguments on every launch, the window's too.
    import asyncio

    from app.commands.output import fail

    try:
        model_id = validate_model_id(args.model)
    except InvalidModelId as exc:
        return fail(f"invalid model id: {exc}", code=EXIT_USAGE)
    if args.max_tokens < 1:
        return fail("--max-tokens must be at least 1", code=EXIT_USAGE)
    if not args.temperature >= 0:
        return fail("--temperature must be at least 0", code=EXIT_USAGE)
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    if not prompt.strip():
        return fail("the prompt is empty", code=EXIT_USAGE)

    from app.services.mlx_runner import TryRequest
    from app.services.try_protocol import TryError

    request = TryRequest(model_id, prompt, max_tokens=args.max_tokens, temperature=args.temperature)
    try:
        return asyncio.run(_try(request, as_json=args.json))
    except TryError as exc:
        hint = f" Run: mlx-manager download {model_id}" if exc.needs_download else ""
        return fail(f"{exc}{hint}", code=EXIT_CANNOT_RUN)


async def _try(request: Any, *, as_json: bool) -> int:
    from app.services.mlx_runner import Loaded, Loading, MlxRunner, Token

    out = sys.stdout

    def show(event: object) -> None:
        if isinstance(event, Token):
            if as_json:
                out.write(json.dumps({"text": event.text, "token": event.token}, ensure_ascii=False) + "\n")
            else:
                out.write(event.text)
            out.flush()
        elif isinstance(event, Loading) and not as_json and not event.reused:
            print(f"Loading {event.model_id}…", file=sys.stderr, flush=True)
        elif isinstance(event, Loaded) and not as_json:
            print(f"Loaded in {event.seconds:.1f} s.", file=sys.stderr, flush=True)

    runner = MlxRunner(idle_seconds=0.0)
    try:
        figures = await runner.run(request, show)
    finally:
        await runner.aclose()
    if as_json:
        out.write(json.dumps({"done": True, "model": request.model_id, **figures.to_dict()}) + "\n")
    else:
        out.write("\n")
        print(summary(figures), file=sys.stderr)
    out.flush()
    return 0


def summary(figures: Any) -> str:
    """One line: time to first token, speeds, peak memory, why it ended."""
    parts: list[str] = []
    if figures.time_to_first_token_ms is not None:
        parts.append(f"first token {figures.time_to_first_token_ms:.0f} ms")
    if figures.prompt_tps is not None:
        parts.append(f"prompt {figures.prompt_tokens} tokens at {figures.prompt_tps:.1f} tokens/s")
    if figures.generation_tps is not None:
        parts.append(f"generation {figures.generation_tokens} tokens at {figures.generation_tps:.1f} tokens/s")
    if figures.peak_memory is not None:
        parts.append(f"peak memory {figures.peak_memory:.3f} GB")
    ended = {"stop": "the model ended its answer", "length": "max tokens reached",
             "stopped": "stopped"}.get(figures.finish_reason, figures.finish_reason)
    return "; ".join([*parts, ended]) + "."
