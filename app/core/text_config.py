"""Finding the language model's numbers in nested multimodal configs.

Vision-language and omni models keep the text model's context, layers, heads and vocab in a
sub-config (`text_config`, `llm_config`, `language_config`, `decoder_config`,
`thinker_config.text_config`, ...). A `TextView` reads those first and falls back to the top level
only when the top level is itself the text model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.core.values import as_int

_TEXT_KEYS = ("text_config", "llm_config", "language_config", "language_model_config", "decoder_config",
              "thinker_config", "text_model_config", "lm_config")
_EMPTY: Mapping[str, Any] = {}


class TextView:
    """`scopes` is where to look, in order: the text model first, then the top level."""

    __slots__ = ("scopes", "text", "top")

    def __init__(self, top: Mapping[str, Any], text: Mapping[str, Any]) -> None:
        self.top = top
        self.text = text  # the text model's config (is `top` when not nested)
        self.scopes: tuple[Mapping[str, Any], ...] = (text,) if text is top else (text, top)

    def value(self, *keys: str) -> object:
        for scope in self.scopes:
            for key in keys:
                if key in scope and scope[key] is not None:
                    return scope[key]
        return None

    def int(self, *keys: str) -> int | None:
        """The first key that holds a valid count, text model first."""
        for scope in self.scopes:
            for key in keys:
                raw = scope.get(key)
                if raw is None:
                    continue
                number = as_int(raw)
                if number is not None:
                    return number
        return None


def _nested_text(config: Mapping[str, Any], depth: int = 0) -> Mapping[str, Any] | None:
    if depth > 3:
        return None
    for key in _TEXT_KEYS:
        sub = config.get(key)
        if isinstance(sub, Mapping) and sub:
            # thinker_config (Qwen-Omni) nests its own text_config one level further down.
            deeper = _nested_text(sub, depth + 1)
            if deeper is not None and not _has_text_numbers(sub):
                return deeper
            return sub
    return None


def _has_text_numbers(config: Mapping[str, Any]) -> bool:
    return any(as_int(config.get(k)) for k in ("num_hidden_layers", "n_layer", "n_layers", "num_layers"))


def text_view(config: Mapping[str, Any]) -> TextView:
    nested = _nested_text(config)
    if nested is None:
        return TextView(top=config, text=config)
    return TextView(top=config, text=nested)
