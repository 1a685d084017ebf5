"""`inspect`, `scan` and `search` JSON gain `mlx_lm`, `parameter_count_exact` and `memory` (a user's view)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cachebuilder import CacheBuilder, llama_config

ROOT = Path(__file__).resolve().parents[2]
BUDGET = 21_300_000_000

pytest.importorskip("mlx_lm")


def run_app(args: list[str], tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MLX_MANAGER_MEMORY_BYTES": str(BUDGET),
           "MLX_MANAGER_CACHE_DIR": str(tmp_path / "mlxm"), **extra}
    return subprocess.run([sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_inspect_config_json_says_it_runs_counts_exactly_and_fits(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(llama_config(bits=4)))
    done = run_app(["inspect", "--config", str(path), "--json"], tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["mlx_lm"]["status"] == "supported" and data["mlx_lm"]["module"] == "llama"
    exact = data["parameter_count_exact"]
    assert isinstance(exact, int) and exact > 7_000_000_000
    m = data["memory"]
    assert m["budget_bytes"] == BUDGET and m["budget_source"] == "MLX_MANAGER_MEMORY_BYTES"
    assert m["weights_source"] == "estimate" and m["weights_bytes"] == int(exact * 4.5 / 8)
    assert m["kv_bytes_per_token"] == 2 * 32 * 8 * 128 * 2
    assert m["at_8k"] == {"bytes": m["weights_bytes"] + 131_072 * 8192 + 300_000_000, "verdict": "fits"}
    assert m["at_full"]["verdict"] == "too large" and 8192 < m["max_context_that_fits"] < 131_072
    assert all(type(v) is int for v in (m["weights_bytes"], m["budget_bytes"], m["max_context_that_fits"]))


def test_inspect_config_beside_weights_uses_the_files(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(llama_config(bits=4)))
    with open(tmp_path / "model.safetensors", "wb") as handle:
        handle.truncate(4_200_000_000)  # sparse: a size without the bytes
    data = json.loads(run_app(["inspect", "--config", str(path), "--json"], tmp_path).stdout)
    assert (data["memory"]["weights_bytes"], data["memory"]["weights_source"]) == (4_200_000_000, "files")


def test_inspect_unsupported_has_a_reason_and_no_exact_count(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "whisper", "architectures": ["WhisperForConditionalGeneration"],
                                "d_model": 384, "encoder_layers": 4}))
    done = run_app(["inspect", "--config", str(path)], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "has no 'whisper' architecture" in done.stdout
    data = json.loads(run_app(["inspect", "--config", str(path), "--json"], tmp_path).stdout)
    assert data["mlx_lm"]["status"] == "unsupported" and data["parameter_count_exact"] is None


def test_scan_json_characteristics_gain_the_runtime_keys(tmp_path: Path) -> None:
    cache = CacheBuilder(tmp_path / "hub")
    cache.add_model("mlx-community/Llama-4bit", {"config.json": llama_config(bits=4), "model.safetensors": b"x" * 1000})
    cache.add_model("org/no-type", {"config.json": {"hidden_size": 64}})
    done = run_app(["scan", "--json"], tmp_path, HF_HUB_CACHE=str(cache.root))
    assert done.returncode == 0, done.stderr
    found = {item["id"]: item["characteristics"] for item in json.loads(done.stdout)}
    llama = found["mlx-community/Llama-4bit"]
    assert llama["mlx_lm"]["status"] == "supported" and isinstance(llama["parameter_count_exact"], int)
    assert (llama["memory"]["weights_bytes"], llama["memory"]["weights_source"]) == (1000, "files")
    assert found["org/no-type"]["mlx_lm"]["status"] == "unknown"
    assert found["org/no-type"]["memory"]["at_8k"]["verdict"] == "unknown"


def test_search_json_weighs_a_hub_model_from_its_listing(tmp_path: Path) -> None:
    from tests.hubsim import HubSim, SimModel

    config = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 896,
              "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
              "max_position_embeddings": 32768, "vocab_size": 151936, "quantization": {"group_size": 64, "bits": 4},
              "intermediate_size": 4864, "rms_norm_eps": 1e-6, "tie_word_embeddings": True}
    with HubSim(corpus=False) as hub:
        hub.add_model(SimModel(id="mlx-community/Qwen2.5-0.5B-Instruct-4bit",
                               files={"config.json": json.dumps(config).encode()}, tags=("mlx",),
                               safetensors={"parameters": {"BF16": 100_000_000, "U32": 50_000_000},
                                            "total": 150_000_000}))
        hub_env = {"HF_ENDPOINT": hub.url, "HF_HOME": str(tmp_path / "hf"),
                   "HF_HUB_CACHE": str(tmp_path / "hf" / "hub")}
        done = run_app(["search", "qwen", "--limit", "1", "--json"], tmp_path, **hub_env)
        with_configs = run_app(["search", "qwen", "--limit", "1", "--configs", "--json"], tmp_path, **hub_env)
    assert done.returncode == 0, done.stderr
    c = json.loads(done.stdout)[0]["characteristics"]
    assert c["mlx_lm"]["status"] == "supported"
    assert (c["memory"]["weights_bytes"], c["memory"]["weights_source"]) == (400_000_000, "listing")
    # The listing gives no attention shapes: the KV cache, and so the verdict, wait for config.json.
    assert c["memory"]["kv_bytes_per_token"] is None and c["memory"]["at_8k"]["verdict"] == "unknown"
    assert c["parameter_count_exact"] is None  # the listing's config is a subset: no build without config.json
    # With --configs the config.json is read (through the store): mlx-lm builds it, the KV cache is known.
    assert with_configs.returncode == 0, with_configs.stderr
    full = json.loads(with_configs.stdout)[0]["characteristics"]
    assert isinstance(full["parameter_count_exact"], int) and full["parameter_count_exact"] > 400_000_000
    assert full["memory"]["kv_bytes_per_token"] == 2 * 24 * 2 * 64 * 2
    assert full["memory"]["weights_source"] == "listing" and full["memory"]["at_8k"]["verdict"] == "fits"
