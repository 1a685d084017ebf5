"""`python -m app try ORG/NAME --prompt TEXT`, run as a user runs it, on tiny models built on the fly.

Each run goes through the real worker process (`python -m app --worker`) and the real mlx-lm (CPU build).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cachebuilder import CacheBuilder, Repo
from tests.tinymodel import LLAMA, NO_TOKENIZER, NO_WEIGHTS, QWEN, UNSUPPORTED, add_try_models, reference_answer

ROOT = Path(__file__).resolve().parents[2]
PROMPT = "Write a haiku about the sea."


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Repo]]:
    root = tmp_path_factory.mktemp("try-cli") / "hub"
    return root, add_try_models(CacheBuilder(root))


def try_model(cache: tuple[Path, dict[str, Repo]], *args: str, stdin: str | None = None
              ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_CACHE": str(cache[0]), "HF_TOKEN": "hf_secret_token"}
    return subprocess.run([sys.executable, "-m", "app", "try", *args], env=env, capture_output=True, text=True,
                          timeout=120, cwd=ROOT, input=stdin)


def test_streams_the_answer_mlx_lm_itself_gives(cache: tuple[Path, dict[str, Repo]]) -> None:
    result = try_model(cache, LLAMA, "--prompt", PROMPT, "--max-tokens", "24", "--temperature", "0")
    assert result.returncode == 0, result.stderr
    expected, _ = reference_answer(cache[1][LLAMA].snapshot_dir, PROMPT, 24)
    assert expected.strip() and result.stdout == expected + "\n"
    # What happened around the answer is on stderr: loading, then the figures.
    assert f"Loading {LLAMA}" in result.stderr
    summary = result.stderr.strip().splitlines()[-1]
    assert "first token" in summary and "generation 24 tokens" in summary and "max tokens reached" in summary
    assert "hf_secret_token" not in result.stderr + result.stdout


def test_json_prints_one_line_per_token_then_the_figures(cache: tuple[Path, dict[str, Repo]]) -> None:
    result = try_model(cache, QWEN, "--prompt", PROMPT, "--max-tokens", "16", "--temperature", "0", "--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    tokens, final = lines[:-1], lines[-1]
    assert len(tokens) == 16 and all(set(t) == {"text", "token"} for t in tokens)
    expected, prompt_tokens = reference_answer(cache[1][QWEN].snapshot_dir, PROMPT, 16)
    assert "".join(t["text"] for t in tokens) == expected
    assert final["done"] is True and final["model"] == QWEN and final["finish_reason"] == "length"
    # The chat template was applied: the prompt the model read is the templated one, longer than the words.
    assert final["prompt_tokens"] == prompt_tokens > len(PROMPT.split()) + 5
    assert final["generation_tokens"] == 16
    for key in ("prompt_tps", "generation_tps", "peak_memory", "time_to_first_token_ms", "load_seconds"):
        assert isinstance(final[key], float) and final[key] > 0, key
    assert isinstance(final["peak_memory_bytes"], int) and final["peak_memory_bytes"] > 100_000


def test_prompt_from_stdin(cache: tuple[Path, dict[str, Repo]]) -> None:
    result = try_model(cache, LLAMA, "--prompt", "-", "--max-tokens", "4", "--temperature", "0", "--json",
                       stdin=PROMPT)
    assert result.returncode == 0, result.stderr
    expected, _ = reference_answer(cache[1][LLAMA].snapshot_dir, PROMPT, 4)
    assert "".join(json.loads(line).get("text", "") for line in result.stdout.splitlines()) == expected


@pytest.mark.parametrize("model,words", [
    (NO_WEIGHTS, ["no weights on disk", f"mlx-manager download {NO_WEIGHTS}"]),
    (NO_TOKENIZER, ["no tokenizer"]),
    (UNSUPPORTED, ["has no 'tiny_made_up_arch' architecture", "mlx-lm"]),
    ("tiny-org/not-downloaded", ["not in the local Hugging Face cache", "download"]),
])
def test_a_model_that_cannot_run_is_said_in_one_line(cache: tuple[Path, dict[str, Repo]], model: str,
                                                      words: list[str]) -> None:
    result = try_model(cache, model, "--prompt", "hello", "--json")
    assert result.returncode == 1
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("mlx-manager:")]
    assert len(errors) == 1 and "Traceback" not in result.stderr
    for word in words:
        assert word in errors[0]


@pytest.mark.parametrize("args,words", [
    (["bad--id", "--prompt", "x"], "invalid model id"),
    ([LLAMA, "--prompt", "x", "--max-tokens", "0"], "--max-tokens"),
    ([LLAMA, "--prompt", "   "], "prompt is empty"),
])
def test_bad_input_exits_2(cache: tuple[Path, dict[str, Repo]], args: list[str], words: str) -> None:
    result = try_model(cache, *args)
    assert result.returncode == 2
    assert words in result.stderr and "Traceback" not in result.stderr


def test_try_never_imports_qt(cache: tuple[Path, dict[str, Repo]]) -> None:
    code = (
        "import sys; from app.cli import main; "
        f"code = main(['try', {LLAMA!r}, '--prompt', 'hi', '--max-tokens', '2', '--json']); "
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'qasync', 'mlx'))]; "
        "print(code, bad, file=sys.stderr)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_CACHE": str(cache[0])}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                            cwd=ROOT)
    # Neither Qt nor MLX in the command's own process: the model ran in the worker.
    assert result.stderr.strip().splitlines()[-1] == "0 []", result.stderr
