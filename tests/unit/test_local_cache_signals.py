"""What says a cached model is MLX: model card front matter and publisher naming."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.services.mlx_signals import front_matter, publisher_signal, readme_signal


@pytest.mark.parametrize(
    ("head", "signal"),
    [
        (b"---\nlibrary_name: mlx\nlicense: mit\n---\n# x", "library_name: mlx"),
        (b"---\nlibrary_name: 'MLX'\n---\n", "library_name: mlx"),
        (b"\xef\xbb\xbf---\r\nlibrary_name: mlx\r\n---\r\n", "library_name: mlx"),
        (b"---\ntags:\n- text-generation\n- mlx\n---\n", "mlx tag"),
        (b"---\ntags:\n  - mlx  # converted\n---\n", "mlx tag"),
        (b"---\ntags: [llama, \"mlx\"]\n---\n", "mlx tag"),
        (b"---\nlibrary_name: transformers\ntags:\n- mlx-lm-compatible\n---\n", None),
        (b"# Title\nlibrary_name: mlx\n", None),  # not front matter
        (b"---\nlicense: mit\n---\nlibrary_name: mlx\n", None),  # after the front matter ends
        (b"---\nmodel-index:\n  - name: x\n    tags:\n    - mlx\n---\n", None),  # nested, not the card's tags
        (b"", None),
    ],
)
def test_readme_signal(head: bytes, signal: str | None) -> None:
    assert readme_signal(head) == signal


def test_truncated_head_still_reads_the_keys_before_the_cut() -> None:
    head = (b"---\nlibrary_name: mlx\nbase_model: " + b"x" * 9000)[:8192]
    assert readme_signal(head) == "library_name: mlx"


@given(st.binary(max_size=400))
def test_front_matter_never_raises(data: bytes) -> None:
    result = front_matter(b"---\n" + data)
    assert result is None or isinstance(result, dict)


@pytest.mark.parametrize(
    ("repo_id", "is_mlx"),
    [
        ("mlx-community/Llama-3.2-1B-Instruct-bf16", True),
        ("lmstudio-community/Qwen3-8B-MLX-4bit", True),
        ("someone/phi-4-mlx", True),
        ("someone/gemma-2-9b-it-MLX-8bit", True),
        ("someone/mlx_model", True),
        ("lmstudio-community/Qwen3-8B-GGUF", False),
        ("meta-llama/Llama-3.1-8B", False),
        ("someone/mlxtend-port", False),  # "mlx" must be a whole token
        ("someone/complex", False),
    ],
)
def test_publisher_signal(repo_id: str, is_mlx: bool) -> None:
    assert (publisher_signal(repo_id) == "publisher") is is_mlx
