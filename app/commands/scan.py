"""`scan`: the models in the local Hugging Face cache, as a table or as JSON.

The cache is found the way huggingface_hub finds it: HF_HUB_CACHE, then HUGGINGFACE_HUB_CACHE, then
HF_HOME/hub, then $XDG_CACHE_HOME/huggingface/hub, then ~/.cache/huggingface/hub.
The exit code is 0 even when some repos are broken (their `problem` says what is wrong); a missing or
empty cache prints a friendly line (or `[]` with --json).

`scan --json` prints a JSON array, one object per model repo (datasets and spaces are left out),
sorted by id, each with exactly these keys:

  id              "org/name" (bytes of a folder name that are not UTF-8 show as U+FFFD)
  revision        the commit refs/main points to; without refs/main, the newest snapshot's; or null
  refs            the other refs, {"refs/pr/1": "<commit>", ...} ({} when none)
  snapshot_path   the folder of that revision's snapshot, or null when it is missing
  size_on_disk    bytes of the repo's unique blobs, counted as `huggingface_hub.scan_cache_dir` counts
                  them; null when the repo folder cannot be read
  last_modified   newest blob modification time, ISO 8601 in UTC ("2025-01-31T12:00:00+00:00"), or null
  last_accessed   newest blob access time, same format, or null
  is_mlx          true when the model is in MLX format
  mlx_signal      what says so: "config quantization", "library_name: mlx", "mlx tag", "publisher", or null
  incomplete      true when a download of this repo is unfinished (`*.incomplete` blobs)
  problem         what is wrong with the repo, in words, or null when nothing is
  characteristics the characteristics read from config.json (the keys of `inspect --json`, with
                  `mlx_lm`, `parameter_count_exact` and `memory`), or null
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core import formatting
from app.services.local_cache import LocalModel, default_cache_dir, fill_weights, scan_full

if TYPE_CHECKING:
    from app.services.runtime_context import RuntimeContext


def run(args: argparse.Namespace) -> int:
    from app.commands.output import fail
    from app.services.hub_cache_location import location_problem, missing_sentence

    cache_dir = default_cache_dir()
    problem = location_problem(cache_dir)
    if problem is not None:
        return fail(problem, code=2)
    models = fill_weights(scan_full(cache_dir), cache_dir)  # parameters measured from the weight files
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")  # a terminal that cannot show a character gets "?"
    if getattr(args, "json", False):
        from app.services.runtime_context import RuntimeContext

        context = RuntimeContext()
        try:
            payload = [_finite(with_runtime(m, m.to_json_dict(), context)) for m in models]
        finally:
            context.close()  # remembers the exact counts for next time
        json.dump(payload, sys.stdout, indent=2, ensure_ascii=False, allow_nan=False)
        sys.stdout.write("\n")
        return 0
    if not models:
        if os.path.isdir(cache_dir):
            print(f"No models in the Hugging Face cache at {cache_dir}.")
        else:
            print(f"No models: the Hugging Face cache folder {missing_sentence(cache_dir)}.")
        print("Models you download with huggingface_hub, mlx-lm or this app will show up here.")
        return 0
    print_table(models)
    total = sum(m.size_on_disk or 0 for m in models)
    mlx = sum(1 for m in models if m.is_mlx)
    broken = sum(1 for m in models if m.problem)
    summary = f"{len(models)} model{'s' if len(models) != 1 else ''}, {mlx} MLX, {formatting.size(total)}"
    if broken:
        summary += f", {broken} with problems"
    print(f"\n{summary} in {cache_dir}")
    return 0


def with_runtime(m: LocalModel, item: dict[str, Any], context: RuntimeContext) -> dict[str, Any]:
    """Characteristics gain `mlx_lm`, `parameter_count_exact` and `memory`."""
    characteristics = item.get("characteristics")
    if not isinstance(characteristics, dict) or m.characteristics is None:
        return item
    from app.commands.output import read_config_file
    from app.core.config_parse import ConfigError
    from app.services.runtime_context import snapshot_weight_bytes

    config = None
    if m.snapshot_path:
        try:
            config = read_config_file(Path(m.snapshot_path) / "config.json")
        except ConfigError:
            config = None
    facts = context.facts(m.characteristics, config, weight_files=snapshot_weight_bytes(m.snapshot_path))
    characteristics.update(facts.to_json())
    return item


HEADERS = ("MODEL", "FAMILY", "QUANT", "PARAMS", "CONTEXT", "MULTIMODAL", "SIZE", "MLX", "PROBLEM")


def table_row(m: LocalModel) -> tuple[str, ...]:
    c = m.characteristics
    return (
        m.id,
        (c.architecture_family if c else None) or "-",
        (c.bits_label if c else None) or "-",
        (formatting.params(c.parameter_count_estimate) if c else None) or "-",
        (formatting.context(c.max_position_embeddings) if c else None) or "-",
        (c.multimodal_type or ("no" if c.is_multimodal is False else "-")) if c else "-",
        formatting.size(m.size_on_disk) or "-",
        "yes" if m.is_mlx else "no",
        m.problem or "",
    )


def print_table(models: list[LocalModel]) -> None:
    rows = [HEADERS, *(table_row(m) for m in models)]
    # Every column but the last is padded; the problem text runs free at the end of the line.
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS) - 1)]
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        print("  ".join([*cells, row[-1]]).rstrip())


def _finite(value: Any) -> Any:
    """JSON has no Infinity/NaN: unknown numbers are null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
