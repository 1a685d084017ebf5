"""`search` and `inspect ORG/NAME` as a user runs them: subprocesses against the simulator."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hubsim import Fault, HubSim, SimModel

ROOT = Path(__file__).resolve().parents[2]
CONFIG = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 896,
          "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
          "max_position_embeddings": 32768, "vocab_size": 151936,
          "quantization": {"group_size": 64, "bits": 4}}
TOKEN = "hf_clitesttoken000000"


@pytest.fixture
def sim() -> Iterator[HubSim]:
    with HubSim(corpus=False) as hub:
        for i in range(5):
            hub.add_model(SimModel(
                id=f"mlx-community/Qwen2.5-{i}B-Instruct-4bit",
                files={"config.json": json.dumps(CONFIG).encode()},
                tags=("mlx", "qwen2"), downloads=1000 - i, likes=i,
            ))
        hub.add_model(SimModel(id="org/gated-model", files={"config.json": b"{}"}, gated="manual",
                               tags=("mlx",)))
        yield hub


@pytest.fixture
def env(sim: HubSim, tmp_path: Path) -> dict[str, str]:
    result = {k: v for k, v in os.environ.items()
              if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE")}
    result.update(HF_ENDPOINT=sim.url, HF_HOME=str(tmp_path / "hf"),
                  HF_HUB_CACHE=str(tmp_path / "hf" / "hub"),
                  MLX_MANAGER_CACHE_DIR=str(tmp_path / "cache"), HF_HUB_DISABLE_TELEMETRY="1")
    return result


def app(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


def test_search_table(env: dict[str, str]) -> None:
    done = app(env, "search", "qwen", "--limit", "3")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "MODEL" in lines[0] and "FAMILY" in lines[0]
    assert "mlx-community/Qwen2.5-0B-Instruct-4bit" in lines[1] and "Qwen" in lines[1]
    assert sum("mlx-community/" in line for line in lines) == 3


def test_search_json_follows_pages_up_to_the_limit(sim: HubSim, env: dict[str, str]) -> None:
    sim.page_size = 2
    done = app(env, "search", "--limit", "4", "--json")
    assert done.returncode == 0, done.stderr
    items = json.loads(done.stdout)
    assert [i["id"] for i in items] == [f"mlx-community/Qwen2.5-{i}B-Instruct-4bit" for i in range(4)]
    first = items[0]
    keys = ("id", "downloads", "likes", "last_modified", "gated", "pipeline_tag", "tags", "characteristics")
    for key in keys:
        assert key in first
    assert first["downloads"] == 1000 and first["characteristics"]["architecture_family"] == "Qwen"
    assert first["characteristics"]["max_position_embeddings"] is None  # not in the listing
    assert len(sim.requests(r"^/api/models$")) == 2


def test_search_configs_fetches_every_config_through_the_store(sim: HubSim, env: dict[str, str]) -> None:
    done = app(env, "search", "qwen", "--limit", "2", "--configs", "--json")
    assert done.returncode == 0, done.stderr
    items = json.loads(done.stdout)
    assert all(i["characteristics"]["max_position_embeddings"] == 32768 for i in items)
    assert all(i["provenance"]["max_position_embeddings"] == "config" for i in items)
    assert len(sim.requests(r"/resolve/")) == 2
    again = app(env, "search", "qwen", "--limit", "2", "--configs", "--json")
    assert again.returncode == 0, again.stderr
    assert len(sim.requests(r"/resolve/")) == 2  # the store answered


def test_inspect_hub_then_store(sim: HubSim, env: dict[str, str]) -> None:
    model = "mlx-community/Qwen2.5-1B-Instruct-4bit"
    done = app(env, "inspect", model, "--json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["id"] == model and payload["source"] == "hub"
    assert payload["max_position_embeddings"] == 32768 and payload["quantization_bits"] == 4
    again = json.loads(app(env, "inspect", model, "--json").stdout)
    assert again["source"] == "store" and again["num_hidden_layers"] == 24
    assert len(sim.requests(r"/resolve/")) == 1


def test_inspect_uses_the_local_cache_first(sim: HubSim, env: dict[str, str]) -> None:
    commit = "a" * 40
    repo = Path(env["HF_HUB_CACHE"]) / "models--someone--local-only"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)  # no trailing newline, like huggingface_hub
    (repo / "blobs").mkdir()
    (repo / "blobs" / "b1").write_text(json.dumps({**CONFIG, "max_position_embeddings": 4096}))
    (repo / "snapshots" / commit).mkdir(parents=True)
    (repo / "snapshots" / commit / "config.json").symlink_to("../../blobs/b1")
    done = app(env, "inspect", "someone/local-only", "--json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["source"] == "local" and payload["max_position_embeddings"] == 4096
    assert sim.log == []


@pytest.mark.parametrize(
    ("model", "words"),
    [("org/absent", "no such model"), ("org/gated-model", "log in")],
)
def test_inspect_remote_failures_exit_3_with_one_line(env: dict[str, str], model: str, words: str) -> None:
    done = app(env, "inspect", model)
    assert done.returncode == 3
    assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_gated_with_a_token_that_is_not_approved_names_the_url(sim: HubSim, env: dict[str, str]) -> None:
    sim.tokens[TOKEN] = "carol"
    done = app({**env, "HF_TOKEN": TOKEN}, "inspect", "org/gated-model")
    assert done.returncode == 3
    assert "not approved" in done.stderr and f"{sim.url}/org/gated-model" in done.stderr
    assert TOKEN not in done.stderr + done.stdout
    assert all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in sim.requests(r"/resolve/"))


def test_rate_limited_says_when_to_retry(sim: HubSim, env: dict[str, str]) -> None:
    sim.faults.add(Fault("rate_limit", path=r"/resolve/", seconds=120, count=None))
    done = app(env, "inspect", "mlx-community/Qwen2.5-1B-Instruct-4bit")
    assert done.returncode == 3
    assert "rate limited" in done.stderr and "retry in 12" in done.stderr


def test_offline_exits_3(sim: HubSim, env: dict[str, str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    done = app({**env, "HF_ENDPOINT": f"http://127.0.0.1:{closed}"}, "inspect", "org/anything")
    assert done.returncode == 3 and "offline" in done.stderr
    offline = app({**env, "HF_HUB_OFFLINE": "1"}, "search", "qwen")
    assert offline.returncode == 3 and "offline" in offline.stderr
    assert sim.log == []


def test_invalid_model_id_exits_2(env: dict[str, str]) -> None:
    done = app(env, "inspect", "not a model")
    assert done.returncode == 2
    assert "invalid model id" in done.stderr and "Traceback" not in done.stderr


def test_a_failing_next_page_keeps_the_first_results(sim: HubSim, env: dict[str, str]) -> None:
    sim.page_size = 2
    sim.faults.add(Fault("status", path=r"^/api/models$", query="cursor", status=503, count=None))
    done = app(env, "search", "--limit", "4", "--json")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 2
    assert "first 2 results" in done.stderr and "503" in done.stderr


def test_search_failure_exits_3(sim: HubSim, env: dict[str, str]) -> None:
    sim.faults.add(Fault("rate_limit", path=r"^/api/models$", seconds=60, count=None))  # beyond 30 s of patience
    done = app(env, "search", "qwen")
    assert done.returncode == 3
    assert "rate limited" in done.stderr and "Traceback" not in done.stderr


def test_inspect_offline_falls_back_to_an_expired_stored_config(sim: HubSim, env: dict[str, str]) -> None:
    from app.services.config_store import ConfigStore, StoredKind

    long_ago = 1_000_000.0  # far past every TTL
    store_path = Path(env["MLX_MANAGER_CACHE_DIR"]) / "configs.sqlite3"
    with ConfigStore(store_path, clock=lambda: long_ago) as store:
        store.put("org/old", StoredKind.OK, config={**CONFIG, "max_position_embeddings": 8192}, etag='"e"')
    done = app({**env, "HF_HUB_OFFLINE": "1"}, "inspect", "org/old", "--json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["source"] == "store" and payload["max_position_embeddings"] == 8192
    assert sim.log == []
