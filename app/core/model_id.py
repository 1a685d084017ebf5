"""Model ids ("org/name") as the Hub accepts them, checked before any path or URL is built from one.

The Hub's rules: each part uses letters, digits, `-`, `_` and `.`; it does not start or end with
`-` or `.`; `--` and `..` never appear (the cache uses `--` as its separator); a part is at most
96 characters.
"""

from __future__ import annotations

import re

MAX_PART_LENGTH = 96

_PART = re.compile(r"[A-Za-z0-9_.\-]+")


class InvalidModelId(ValueError):
    """The text is not an "org/name" model id; the message says why in a few words."""


def _part_problem(part: str, what: str) -> str | None:
    if not part:
        return f"the {what} is empty"
    if len(part) > MAX_PART_LENGTH:
        return f"the {what} is longer than {MAX_PART_LENGTH} characters"
    if not _PART.fullmatch(part):
        return f"the {what} may only use letters, digits, '-', '_' and '.'"
    if part[0] in "-." or part[-1] in "-.":
        return f"the {what} cannot start or end with '-' or '.'"
    if "--" in part or ".." in part:
        return f"the {what} cannot contain '--' or '..'"
    return None


def validate_model_id(text: object) -> str:
    """The id, stripped of surrounding whitespace; raises InvalidModelId with the reason."""
    if not isinstance(text, str):
        raise InvalidModelId("a model id is text such as org/name")
    value = text.strip()
    if value.count("/") != 1:
        raise InvalidModelId(f"{value!r} is not of the form org/name")
    org, name = value.split("/")
    problem = _part_problem(org, "organisation") or _part_problem(name, "name")
    if problem:
        raise InvalidModelId(f"{value!r}: {problem}")
    return value


def is_valid_model_id(text: object) -> bool:
    try:
        validate_model_id(text)
    except InvalidModelId:
        return False
    return True


# A model repo's folder in the Hugging Face cache starts with this (datasets and spaces use their own).
MODEL_FOLDER_PREFIX = "models--"


def cache_folder_name(model_id: str) -> str:
    """The folder of a model in the Hugging Face cache: `models--org--name`."""
    org, name = validate_model_id(model_id).split("/")
    return f"{MODEL_FOLDER_PREFIX}{org}--{name}"


def repo_folder_name(repo_id: str) -> str:
    """The folder of a repo already known to the cache (a legacy single-part id too): no validation."""
    return MODEL_FOLDER_PREFIX + repo_id.replace("/", "--")


def author_of(model_id: str) -> str:
    """The publisher part of "org/name" ("" for a legacy single-part id)."""
    return model_id.split("/", 1)[0] if "/" in model_id else ""


def name_of(model_id: str) -> str:
    """The name part of "org/name" (the whole id for a legacy single-part id)."""
    return model_id.split("/", 1)[1] if "/" in model_id else model_id
