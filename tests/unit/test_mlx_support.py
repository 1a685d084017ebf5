"""The mlx-lm support check, against the mlx-lm installed in this environment (nothing mocked)."""

from __future__ import annotations

import importlib.metadata
import json
import sys
from pathlib import Path

import pytest

from app.core.characteristics import extract_characteristics
from app.core.mlx_support import code_facts, support_status
from app.services import mlx_support


@pytest.fixture(scope="module")
def registry():  # type: ignore[no-untyped-def]
    found = mlx_support.read_registry()
    if found is None:
        pytest.skip("mlx-lm is not installed")
    return found


def status_of(registry, config: dict[str, object]):  # type: ignore[no-untyped-def]
    return support_status(registry, extract_characteristics(config), code_facts(config))


def test_registry_lists_architectures_not_helpers(registry) -> None:  # type: ignore[no-untyped-def]
    assert registry.version == importlib.metadata.version("mlx-lm")
    assert {"llama", "qwen2", "qwen3_moe", "gpt_oss", "gemma3"} <= registry.modules
    assert not {"base", "cache", "rope_utils", "switch_layers"} & registry.modules
    assert registry.remapping["mistral"] == "llama"


def test_registry_is_read_without_importing_mlx(tmp_path: Path) -> None:
    import subprocess

    code = ("import sys; from app.services.mlx_support import read_registry; r = read_registry(); "
            "print(len(r.modules), 'mlx' in sys.modules, 'mlx_lm' in sys.modules)")
    env = {"MLX_MANAGER_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    count, mlx_loaded, mlx_lm_loaded = out.stdout.split()
    assert int(count) > 50 and mlx_loaded == "False" and mlx_lm_loaded == "False"
    assert (tmp_path / mlx_support.CACHE_FILE).is_file()  # cached for the next launch, per version


def test_supported(registry) -> None:  # type: ignore[no-untyped-def]
    s = status_of(registry, {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"]})
    assert (s.status, s.module, s.reason, s.runs) == ("supported", "qwen2", None, True)


def test_remapped_says_which(registry) -> None:  # type: ignore[no-untyped-def]
    s = status_of(registry, {"model_type": "mistral", "architectures": ["MistralForCausalLM"]})
    assert (s.status, s.module) == ("remapped", "llama")
    assert "'mistral'" in (s.reason or "") and "'llama'" in (s.reason or "")


def test_vision_model_runs_text_only(registry) -> None:  # type: ignore[no-untyped-def]
    config = {"model_type": "qwen2_5_vl", "architectures": ["Qwen2_5_VLForConditionalGeneration"],
              "vision_config": {"depth": 32}, "hidden_size": 3584}
    s = status_of(registry, config)
    assert (s.status, s.module) == ("text-only", "qwen2_vl")
    assert "images need mlx-vlm" in (s.reason or "")


def test_model_file_needs_remote_code(registry) -> None:  # type: ignore[no-untyped-def]
    s = status_of(registry, {"model_type": "llama", "model_file": "my_model.py"})
    assert s.status == "remote-code" and "trust_remote_code" in (s.reason or "") and not s.runs


def test_auto_map_of_an_unknown_type_needs_remote_code(registry) -> None:  # type: ignore[no-untyped-def]
    s = status_of(registry, {"model_type": "my_arch", "auto_map": {"AutoModel": "modeling_my.MyModel"}})
    assert s.status == "remote-code"
    # mlx-lm ignores auto_map: a type it knows still runs
    assert status_of(registry, {"model_type": "qwen2", "auto_map": {"AutoModel": "x.Y"}}).status == "supported"


def test_unsupported_names_version_and_type(registry) -> None:  # type: ignore[no-untyped-def]
    s = status_of(registry, {"model_type": "whisper", "architectures": ["WhisperForConditionalGeneration"]})
    assert s.status == "unsupported" and not s.runs
    assert (s.reason or "").startswith(f"mlx-lm {registry.version} has no 'whisper' architecture")


def test_no_model_type_is_unknown(registry) -> None:  # type: ignore[no-untyped-def]
    s = status_of(registry, {"hidden_size": 4096})
    assert s.status == "unknown" and s.reason == "the config has no model_type"
    assert s.to_dict() == {"status": "unknown", "module": None, "version": registry.version,
                           "reason": "the config has no model_type"}


def test_no_mlx_lm_is_unknown() -> None:
    s = support_status(None, extract_characteristics({"model_type": "llama"}))
    assert s.status == "unknown" and s.reason == "mlx-lm is not installed here"


def test_remapping_tables_read_from_source() -> None:
    source = 'X = 1\nMODEL_REMAPPING = {"a": "b"}\nMODEL_ARCHITECTURE_REMAPPING = {("c", "C"): "d"}\n'
    tables = mlx_support.remapping_tables(source)
    assert tables == {"MODEL_REMAPPING": {"a": "b"}, "MODEL_ARCHITECTURE_REMAPPING": {("c", "C"): "d"}}


def test_corpus_statuses(registry, corpus_dir: Path) -> None:  # type: ignore[no-untyped-def]
    expected = {"Qwen__Qwen2.5-7B-Instruct.json": "supported", "mistralai__Mistral-7B-Instruct-v0.3.json": "remapped",
                "Qwen__Qwen2.5-VL-7B-Instruct.json": "text-only", "openai__whisper-tiny.json": "unsupported"}
    for name, status in expected.items():
        path = corpus_dir / name
        if path.is_file():
            assert status_of(registry, json.loads(path.read_text())).status == status, name
