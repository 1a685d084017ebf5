"""Pytest fixtures: `hubsim` (a started simulator) and `hubsim_env` (environment for subprocesses)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hubsim.server import HubSim


@pytest.fixture
def hubsim() -> Iterator[HubSim]:
    sim = HubSim(corpus=True)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()
    leaked = sim.alive_threads()
    assert not leaked, f"hubsim threads still running after stop(): {leaked}"
    assert not sim.errors, "hubsim raised while answering:\n" + "\n".join(sim.errors)


@pytest.fixture
def hubsim_env(hubsim: HubSim, tmp_path: Path) -> dict[str, str]:
    """Environment for a subprocess that talks to `hubsim` (huggingface_hub reads these at import)."""
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")}
    home = tmp_path / "hf-home"
    env.update(
        HF_ENDPOINT=hubsim.url,
        HF_HOME=str(home),
        HF_HUB_CACHE=str(home / "hub"),
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        HF_HUB_DISABLE_XET="1",
    )
    env.pop("HF_HUB_OFFLINE", None)
    return env
