"""The command line's details a person notices: bad input is exit 2 in one line, short rate limits are
waited out, and the words say what is known (subprocesses, as a user runs them)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hubsim import Fault, HubSim, SimModel
from tests.integration import test_search_cli as search_cli
from tests.integration.test_search_cli import app


@pytest.fixture
def sim() -> Iterator[HubSim]:
    yield from search_cli.sim.__wrapped__()  # type: ignore[attr-defined]


@pytest.fixture
def env(sim: HubSim, tmp_path: Path) -> dict[str, str]:
    result: dict[str, str] = search_cli.env.__wrapped__(sim, tmp_path)  # type: ignore[attr-defined]
    return result


MODEL = "mlx-community/Qwen2.5-1B-Instruct-4bit"


def _waits(line: str) -> bool:
    """A line saying the CLI waits a few seconds (the Hub's 1 s, plus the limiter's margin and jitter)."""
    match = re.search(r"rate limiting requests; waiting (\d+) s, then trying again", line)
    return match is not None and 1 <= int(match.group(1)) <= 4


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


# --- the window's options, refused before any window opens -----------------------------------------

def test_screenshot_into_a_missing_folder_is_bad_input(env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "no-such-folder" / "shot.png"
    done = app(env, "--screenshot", str(target))
    assert done.returncode == 2
    assert "does not exist" in _one_line(done.stderr) and str(target.parent) in done.stderr
    assert not target.parent.exists()


@pytest.mark.parametrize(("size", "words"), [("10x", "not WIDTHxHEIGHT"), ("300x200", "smaller than"),
                                             ("wide", "not WIDTHxHEIGHT")])
def test_bad_window_sizes_are_refused(env: dict[str, str], tmp_path: Path, size: str, words: str) -> None:
    done = app(env, "--screenshot", str(tmp_path / "shot.png"), "--size", size)
    assert done.returncode == 2 and words in _one_line(done.stderr)
    assert not (tmp_path / "shot.png").exists()


def test_help_states_the_minimum_size(env: dict[str, str]) -> None:
    done = app(env, "--help")
    assert done.returncode == 0 and "at least 560x400" in done.stdout


def test_inspect_refuses_a_model_id_with_a_config_file(env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text('{"model_type": "llama"}')
    done = app(env, "inspect", MODEL, "--config", str(config))
    assert done.returncode == 2 and "not both" in _one_line(done.stderr) and done.stdout == ""


# --- setup errors name the variable -----------------------------------------------------------------

@pytest.mark.parametrize("command", [("inspect", MODEL), ("search", "qwen")])
def test_an_endpoint_that_is_not_a_url_is_a_setup_error(sim: HubSim, env: dict[str, str],
                                                        command: tuple[str, str]) -> None:
    done = app({**env, "HF_ENDPOINT": "notaurl"}, *command)
    assert done.returncode == 2
    line = _one_line(done.stderr)
    assert "HF_ENDPOINT" in line and "notaurl" in line and "UnsupportedProtocol" not in line
    assert sim.log == []


# --- rate limits: short waits are waited out ---------------------------------------------------------

def test_inspect_waits_out_a_short_rate_limit(sim: HubSim, env: dict[str, str]) -> None:
    sim.faults.add(Fault("rate_limit", path=r"/resolve/", seconds=1, count=1))
    done = app(env, "inspect", MODEL, "--json")
    assert done.returncode == 0, done.stderr
    assert _waits(_one_line(done.stderr))
    assert json.loads(done.stdout)["num_hidden_layers"] == 24
    assert [r.status for r in sim.requests(r"/resolve/")] == [429, 307]  # then the config, redirected


def test_search_waits_out_a_short_rate_limit(sim: HubSim, env: dict[str, str]) -> None:
    sim.faults.add(Fault("rate_limit", path=r"^/api/models$", seconds=1, count=1))
    done = app(env, "search", "qwen", "--json")
    assert done.returncode == 0, done.stderr
    assert _waits(_one_line(done.stderr)) and len(json.loads(done.stdout)) == 5


def test_repeated_rate_limits_give_up_with_exit_3(sim: HubSim, env: dict[str, str]) -> None:
    sim.faults.add(Fault("rate_limit", path=r"/resolve/", seconds=1, count=None))
    done = app(env, "inspect", MODEL)
    assert done.returncode == 3
    *waits, last = done.stderr.strip().splitlines()
    # A few short waits (at most three; the limiter may ask for longer after repeated 429s), then it gives up.
    assert 1 <= len(waits) <= 3 and all(_waits(line) for line in waits)
    assert "rate limited" in last and "Traceback" not in done.stderr
    # Each wait was followed by a try, except a last one the limiter already knew to be too long.
    assert len(waits) <= len(sim.requests(r"/resolve/")) <= len(waits) + 1


# --- the words ----------------------------------------------------------------------------------------

def test_the_guess_legend_only_when_something_is_guessed(sim: HubSim, env: dict[str, str]) -> None:
    full = {**search_cli.CONFIG, "intermediate_size": 4864}  # every shown column known from the config
    sim.add_model(SimModel(id="org/Fully-Known-4bit", files={"config.json": json.dumps(full).encode()},
                           tags=("mlx", "qwen2")))
    facts = app(env, "search", "Fully-Known", "--configs")
    assert facts.returncode == 0, facts.stderr
    assert "org/Fully-Known-4bit" in facts.stdout
    assert "?" not in facts.stdout and "guessed" not in facts.stdout
    guesses = app(env, "search", "Fully-Known")
    assert guesses.returncode == 0 and "? = guessed" in guesses.stdout


def test_unreadable_quantization_is_not_none(env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text('{"model_type": "llama", "quantization": {"bits": "x"}}')
    done = app(env, "inspect", "--config", str(config))
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.strip().startswith("Quantization"))
    assert "unreadable" in row and "'x'" in row and "none" not in row


def test_whole_bits_are_json_integers(env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text('{"model_type": "llama", "quantization": {"bits": 4, "group_size": 64}}')
    done = app(env, "inspect", "--config", str(config), "--json")
    assert done.returncode == 0 and '"quantization_bits": 4,' in done.stdout


def test_inspect_of_a_local_model_shows_the_measured_count(sim: HubSim, env: dict[str, str]) -> None:
    import struct

    from tests.cachebuilder import CacheBuilder

    header = json.dumps({"w.weight": {"dtype": "BF16", "shape": [1000, 1000], "data_offsets": [0, 2_000_000]}})
    weights = struct.pack("<Q", len(header)) + header.encode() + bytes(2_000_000)
    CacheBuilder(Path(env["HF_HUB_CACHE"])).add_model(
        "someone/Tiny-30B", {"config.json": {**search_cli.CONFIG, "intermediate_size": 4864},
                             "model.safetensors": weights})
    done = app(env, "inspect", "someone/Tiny-30B", "--json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["source"] == "local" and payload["parameter_count_estimate"] == 1_000_000
    assert payload["parameter_count_method"] == "local safetensors headers"
    assert payload["parameter_count_config_estimate"] is not None  # the shapes say ~0.4B
    assert "name says 30B" in payload["parameter_count_note"]
    assert sim.log == []
