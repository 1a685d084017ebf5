"""`python -m app inspect --config FILE`, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.characteristics import ModelCharacteristics

ROOT = Path(__file__).resolve().parents[2]


def inspect(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "app", "inspect", *args], env=env, capture_output=True,
                          text=True, timeout=60, cwd=ROOT)


def test_json_prints_every_key(corpus_dir: Path) -> None:
    result = inspect("--config", str(corpus_dir / "openai__gpt-oss-20b.json"), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {*ModelCharacteristics.field_names(), "mlx_lm", "parameter_count_exact", "memory"}
    assert data["architecture_family"] == "GPT-OSS" and data["quantization_mode"] == "mxfp4"
    assert data["num_experts"] == 32 and data["architectures"] == ["GptOssForCausalLM"]


def test_summary_shows_badges_then_specs(corpus_dir: Path) -> None:
    result = inspect("--config", str(corpus_dir / "Qwen__Qwen3-VL-8B-Instruct.json"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "[Qwen]" in lines[1] and "[Vision]" in lines[1] and "[256K]" in lines[1]
    assert any(line.strip().startswith("Context") and "262,144" in line for line in lines)
    assert any("GQA" in line for line in lines)


def test_non_strict_json_is_read(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text('{"model_type": "nemotron_h", "time_step_limit": [0.0, Infinity], "num_hidden_layers": 4}')
    result = inspect("--config", str(config), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["num_hidden_layers"] == 4  # and the output itself is strict JSON


@pytest.mark.parametrize("content,words", [
    (b"{not json", "not valid JSON"),
    (b"[1, 2, 3]", "not a JSON object"),
    (b"", "empty"),
    (b"\xff\xfe\xfa", "not UTF-8"),
])
def test_bad_input_exits_2_with_one_line(tmp_path: Path, content: bytes, words: str) -> None:
    config = tmp_path / "config.json"
    config.write_bytes(content)
    result = inspect("--config", str(config))
    assert result.returncode == 2
    assert result.stdout == ""
    err = result.stderr.strip().splitlines()
    assert len(err) == 1 and str(config) in err[0] and words in err[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("make", ["missing", "folder"])
def test_unreadable_paths_exit_2(tmp_path: Path, make: str) -> None:
    target = tmp_path / "config.json"
    if make == "folder":
        target.mkdir()
    result = inspect("--config", str(target), "--json")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert ("no such file" if make == "missing" else "folder") in result.stderr


def test_inspect_never_imports_qt(corpus_dir: Path) -> None:
    code = ("import sys; from app.cli import main; main(['inspect', '--config', sys.argv[1], '--json']); "
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'qasync'))]; "
            "sys.stderr.write(repr(bad))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code, str(corpus_dir / "Qwen__Qwen3-8B.json")], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "[]"
