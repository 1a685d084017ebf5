"""Model ids: what the Hub accepts is accepted, everything that could escape a path or URL is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.model_id import (
    InvalidModelId,
    cache_folder_name,
    is_valid_model_id,
    validate_model_id,
)


@pytest.mark.parametrize(
    "model_id",
    ["mlx-community/Qwen3-8B-4bit", "a/b", "org_1/name.v2", "Org/Name_With-Mixed.Chars9", "x/" + "a" * 96],
)
def test_real_ids_are_accepted(model_id: str) -> None:
    assert validate_model_id(f"  {model_id} ") == model_id


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("gpt2", "org/name"),
        ("a/b/c", "org/name"),
        ("/name", "empty"),
        ("org/", "empty"),
        ("org/-name", "start or end"),
        ("org/name.", "start or end"),
        (".org/name", "start or end"),
        ("org/na--me", "'--'"),
        ("org/na..me", "'..'"),
        ("org/../etc", "org/name"),
        ("../etc", "start or end"),
        ("org/name with space", "letters, digits"),
        ("org/näme", "letters, digits"),
        ("org/" + "a" * 97, "96"),
        ("org/name?x=1", "letters, digits"),
    ],
)
def test_bad_ids_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidModelId, match=reason.replace(".", r"\.").replace("?", r"\?")):
        validate_model_id(text)
    assert not is_valid_model_id(text)


def test_non_text_is_refused() -> None:
    assert not is_valid_model_id(None)
    assert not is_valid_model_id(["a/b"])


def test_cache_folder_name_matches_the_hf_layout() -> None:
    assert cache_folder_name("mlx-community/Qwen3-8B-4bit") == "models--mlx-community--Qwen3-8B-4bit"


@given(st.text(max_size=120))
def test_accepted_ids_never_escape_a_folder(text: str) -> None:
    if is_valid_model_id(text):
        value = text.strip()
        org, name = value.split("/")
        assert ".." not in value and "--" not in value and "\\" not in value
        assert org not in (".", "..") and name not in (".", "..")
        assert cache_folder_name(value).count("--") == 2
