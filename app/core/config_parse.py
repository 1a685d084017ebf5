"""Turning the bytes of a `config.json` into a JSON value, safely."""

from __future__ import annotations

import json

MAX_CONFIG_BYTES = 2 * 1024 * 1024  # 2 MiB: real configs are < 100 KB; anything bigger is not a config


class ConfigError(ValueError):
    """The bytes are not a usable config; the message is one line a person understands."""


def parse_config_bytes(data: bytes) -> object:
    """Parse config bytes with the 2 MiB cap; non-strict JSON (`Infinity`, `NaN`) is accepted.

    Returns any JSON value (the engine copes with non-objects); raises ConfigError otherwise.
    """
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"too large ({len(data):,} bytes; a config is at most {MAX_CONFIG_BYTES:,})")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise ConfigError("empty file")
    try:
        # Python's json accepts Infinity/-Infinity/NaN by default, as the Hub's Python writers emit them.
        return json.loads(text)
    except RecursionError:
        raise ConfigError("nested too deeply to be a config") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None


def parse_config_object(data: bytes) -> dict[str, object]:
    """Like `parse_config_bytes`, but the top level must be a JSON object."""
    value = parse_config_bytes(data)
    if not isinstance(value, dict):
        raise ConfigError(f"not a JSON object (top level is {json_type_name(value)})")
    return value


def json_type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
