"""Is a cached model in MLX format, and what says so?

Pure functions over what the local cache scan already read (a config object, the head of README.md, the
repo id). They live next to the scanner because they exist for it; none does I/O.

Signals, strongest first:
- "config quantization": config.json has MLX's `quantization` key (mlx-lm writes it; other methods use
  `quantization_config` only).
- "library_name: mlx" / "mlx tag": the model card's YAML front matter, as the Hub's MLX exporters write it.
- "publisher": naming that MLX publishers use (`mlx-community/…`, `lmstudio-community/…-MLX-…`,
  a name with an `mlx` token such as `…-mlx` or `…-MLX-4bit`). Weakest: a name is only a name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

SIGNAL_CONFIG = "config quantization"
SIGNAL_LIBRARY = "library_name: mlx"
SIGNAL_TAG = "mlx tag"
SIGNAL_PUBLISHER = "publisher"

README_HEAD_BYTES = 8192

# Organisations that publish only MLX conversions.
MLX_ORGS = frozenset({"mlx-community", "mlx-vision", "mlx-ai"})
# An "mlx" token delimited by -, _, . or the ends of the name: "Qwen3-8B-MLX-4bit", "foo-mlx", "mlx_lm-x".
_MLX_BYTES = re.compile(rb"mlx", re.IGNORECASE)
_MLX_TOKEN = re.compile(r"(?:^|[-_.])mlx(?:$|[-_.])", re.IGNORECASE)


def config_signal(config: Mapping[str, object] | None) -> str | None:
    if config is not None and config.get("quantization") is not None:
        return SIGNAL_CONFIG
    return None


def publisher_signal(repo_id: str) -> str | None:
    org, _, name = repo_id.partition("/")
    if not name:
        name, org = org, ""
    if org.lower() in MLX_ORGS or _MLX_TOKEN.search(name):
        return SIGNAL_PUBLISHER
    return None


def readme_signal(head: bytes) -> str | None:
    """The signal in a model card's YAML front matter (only the head of the file is needed)."""
    if not _MLX_BYTES.search(head):
        return None  # most cards never say "mlx": skip the parse
    meta = front_matter(head)
    if meta is None:
        return None
    library = meta.get("library_name")
    if isinstance(library, str) and library.lower() == "mlx":
        return SIGNAL_LIBRARY
    tags = meta.get("tags")
    if isinstance(tags, list) and any(t.lower() == "mlx" for t in tags):
        return SIGNAL_TAG
    return None


def front_matter(head: bytes) -> dict[str, str | list[str]] | None:
    """The two keys we need from a README's YAML front matter: `library_name` and `tags`.

    Not a YAML parser: model cards write these keys as `key: value`, a block list (`- item`) or a flow
    list (`[a, b]`); anything else is ignored. None when the head has no front matter.
    """
    text = head.decode("utf-8", "replace").lstrip("\ufeff")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return None
    result: dict[str, str | list[str]] = {}
    current_list: list[str] | None = None
    for line in lines[1:]:
        stripped = line.strip()
        if stripped in ("---", "..."):
            break
        if not stripped or stripped.startswith("#"):
            continue
        if current_list is not None and stripped.startswith("- ") and line[:1] in (" ", "-"):
            current_list.append(_scalar(stripped[2:]))
            continue
        current_list = None
        if line[:1] in (" ", "\t"):
            continue  # nested mapping content we do not need
        key, sep, value = stripped.partition(":")
        if not sep:
            continue
        key = key.strip()
        value = value.strip()
        if key not in ("library_name", "tags"):
            continue
        if not value:
            current_list = []
            result[key] = current_list
        elif value.startswith("[") and value.endswith("]"):
            result[key] = [_scalar(v) for v in value[1:-1].split(",") if v.strip()]
        else:
            result[key] = _scalar(value)
    return result


def _scalar(value: str) -> str:
    value = value.split(" #", 1)[0].strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return value.strip()
