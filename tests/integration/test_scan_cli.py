"""`python -m app scan`, run as a user runs it: a subprocess over a real cache folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.services.local_cache import JSON_KEYS
from tests.cachebuilder import CacheBuilder, llama_config, populate_sample, qwen_config, readme

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_app(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=120, encoding="utf-8")


def env_for(cache_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("HUGGINGFACE_HUB_CACHE",)}
    env["HF_HUB_CACHE"] = str(cache_dir)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


@pytest.fixture
def sample_cache(tmp_path: Path) -> CacheBuilder:
    cache = CacheBuilder(tmp_path / "hub")
    populate_sample(cache)
    broken = cache.add_model("org/broken", {"config.json": b"{oops"})
    cache.write_ref(broken.id, "main", "f" * 40)
    cache.add_model("org/bad-config", {"config.json": b"[]"})
    return cache


def test_scan_json(sample_cache: CacheBuilder) -> None:
    result = run_app(["scan", "--json"], env_for(sample_cache.root))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [item["id"] for item in data] == sorted((r[1] for r in sample_cache.repos), key=str.lower)
    for item in data:
        assert tuple(item) == JSON_KEYS
    found = {item["id"]: item for item in data}
    qwen = found["mlx-community/Qwen3-8B-4bit"]
    assert qwen["is_mlx"] is True and qwen["mlx_signal"] == "config quantization"
    assert qwen["characteristics"]["quantization_bits"] == 4
    assert qwen["size_on_disk"] == sample_cache.repos[("model", qwen["id"])].blob_bytes
    assert qwen["last_modified"].endswith("+00:00")
    broken = found["org/broken"]["problem"]
    assert broken == "refs/main points to commit ffffffffffff… which is not in snapshots/"
    assert found["org/bad-config"]["problem"] == "config.json is not a JSON object (top level is an array)"
    assert found["org/bad-config"]["characteristics"] is None
    assert found["meta-llama/Llama-3.1-8B-Instruct"]["refs"].keys() == {"refs/pr/1"}


def test_scan_table(sample_cache: CacheBuilder) -> None:
    result = run_app(["scan"], env_for(sample_cache.root))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["MODEL", "FAMILY", "QUANT", "PARAMS", "CONTEXT", "MULTIMODAL", "SIZE", "MLX",
                                "PROBLEM"]
    row = next(line for line in lines if line.startswith("mlx-community/Qwen2.5-VL-7B-Instruct-4bit "))
    cells = row.split()
    assert cells[1:3] == ["Qwen", "4-bit"] and cells[3].endswith("B") and cells[5] == "vision"
    assert cells[-1] == "yes"  # MLX, and no problem after it
    assert any("download incomplete: 2 files still downloading" in line for line in lines)
    assert lines[-1].startswith("8 models, 5 MLX") and "3 with problems" in lines[-1]


@pytest.mark.parametrize("exists", [True, False])
def test_empty_cache_is_friendly(tmp_path: Path, exists: bool) -> None:
    cache_dir = tmp_path / "hub"
    if exists:
        cache_dir.mkdir()
    result = run_app(["scan"], env_for(cache_dir))
    assert result.returncode == 0 and result.stderr == ""
    if exists:
        assert result.stdout.startswith(f"No models in the Hugging Face cache at {cache_dir}")
    else:
        assert result.stdout.startswith(
            f"No models: the Hugging Face cache folder {cache_dir} (set by HF_HUB_CACHE) does not exist.")
    as_json = run_app(["scan", "--json"], env_for(cache_dir))
    assert as_json.returncode == 0 and json.loads(as_json.stdout) == []


def test_a_cache_variable_pointing_at_a_file_says_so(tmp_path: Path) -> None:
    a_file = tmp_path / "hub"
    a_file.write_text("not a folder")
    result = run_app(["scan"], env_for(a_file))
    assert result.returncode == 2 and result.stdout == ""
    expected = f"the Hugging Face cache {a_file} (set by HF_HUB_CACHE) is a file, not a folder"
    assert result.stderr == f"mlx-manager: {expected}\n"


@pytest.mark.parametrize("variable", ["HF_HUB_CACHE", "HF_HOME"])
def test_a_cache_variable_set_empty_says_so(tmp_path: Path, variable: str) -> None:
    env = env_for(tmp_path / "hub")
    if variable == "HF_HOME":
        env.pop("HF_HUB_CACHE", None)
        env.pop("HUGGINGFACE_HUB_CACHE", None)
    env[variable] = ""
    result = run_app(["scan"], env)
    assert result.returncode == 2
    assert result.stderr == f"mlx-manager: {variable} is set but empty; unset it or set it to a folder\n"


def test_scan_imports_neither_qt_nor_huggingface_hub(sample_cache: CacheBuilder) -> None:
    code = textwrap.dedent("""
        import contextlib, io, sys
        from app.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["scan", "--json"]) == 0
            assert main(["scan"]) == 0
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "qasync", "huggingface_hub"))
        print(heavy)
    """)
    result = subprocess.run([sys.executable, "-c", code], env=env_for(sample_cache.root), capture_output=True,
                            text=True, cwd=REPO_ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_non_utf8_names_print(tmp_path: Path) -> None:
    cache = CacheBuilder(tmp_path / "hub")
    cache.add_model("org/fine", {"config.json": llama_config()})
    os.makedirs(os.fsencode(cache.root) + b"/models--org--caf\xe9/snapshots")
    result = run_app(["scan"], env_for(cache.root))
    assert result.returncode == 0, result.stderr
    assert "org/caf\ufffd" in result.stdout
    as_json = run_app(["scan", "--json"], env_for(cache.root))
    assert [item["id"] for item in json.loads(as_json.stdout)] == ["org/caf\ufffd", "org/fine"]


# --- a cache written by huggingface_hub itself, from the local Hub simulator ------------------------


def test_cache_written_by_huggingface_hub(hubsim: object, hubsim_env: dict[str, str]) -> None:
    from tests.hubsim import SimModel

    config_a = json.dumps(qwen_config(bits=4)).encode()
    config_b = json.dumps(llama_config()).encode()
    hubsim.add_model(SimModel(  # type: ignore[attr-defined]
        id="mlx-community/Sim-Qwen-4bit",
        files={"config.json": config_a, "README.md": readme(library_name="mlx").encode(),
               "model.safetensors": b"\0" * 3000, "tokenizer/vocab.json": b'{"a": 1}'},
        revisions=("refs/pr/1",),
    ))
    hubsim.add_model(SimModel(  # type: ignore[attr-defined]
        id="someone/Sim-Llama", files={"config.json": config_b, "README.md": readme().encode()},
        library_name="transformers",
    ))
    download = textwrap.dedent("""
        from huggingface_hub import hf_hub_download, snapshot_download
        snapshot_download("mlx-community/Sim-Qwen-4bit")
        hf_hub_download("mlx-community/Sim-Qwen-4bit", "config.json", revision="refs/pr/1")
        hf_hub_download("someone/Sim-Llama", "config.json")
    """)
    done = subprocess.run([sys.executable, "-c", download], env=hubsim_env, capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    cache_dir = Path(hubsim_env["HF_HUB_CACHE"])

    result = run_app(["scan", "--json"], hubsim_env)
    assert result.returncode == 0, result.stderr
    found = {item["id"]: item for item in json.loads(result.stdout)}
    assert set(found) == {"mlx-community/Sim-Qwen-4bit", "someone/Sim-Llama"}
    qwen = found["mlx-community/Sim-Qwen-4bit"]
    assert qwen["problem"] is None and qwen["is_mlx"] and qwen["characteristics"]["quantization_bits"] == 4
    assert qwen["refs"] == {"refs/pr/1": qwen["revision"]}
    llama = found["someone/Sim-Llama"]
    assert llama["problem"] is None and not llama["is_mlx"]
    assert llama["characteristics"]["architecture_family"] == "Llama"

    from huggingface_hub import scan_cache_dir

    info = scan_cache_dir(cache_dir)
    assert not info.warnings
    for repo in info.repos:
        main = repo.refs["main"]
        assert found[repo.repo_id]["revision"] == (main if isinstance(main, str) else main.commit_hash)
        assert found[repo.repo_id]["size_on_disk"] == repo.size_on_disk
