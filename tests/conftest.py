"""Test-wide setup: Qt offscreen, and no test touching the real HF cache, token or the internet."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Set before anything imports Qt or huggingface_hub (both read the environment once).
os.environ["QT_QPA_PLATFORM"] = "offscreen"
_SANDBOX = Path(tempfile.mkdtemp(prefix="mlxm-test-home-"))
os.environ.setdefault("HF_HOME", str(_SANDBOX / "hf"))
os.environ.setdefault("HF_HUB_CACHE", str(_SANDBOX / "hf" / "hub"))
os.environ.setdefault("MLX_MANAGER_CACHE_DIR", str(_SANDBOX / "mlx-manager"))
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ.pop("HF_TOKEN", None)
os.environ.pop("HUGGING_FACE_HUB_TOKEN", None)

pytest_plugins = ["tests.hubsim.fixtures"]

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus" / "hf-configs"


@pytest.fixture
def corpus_dir() -> Path:
    """The real config.json corpus in ../shared; tests using it skip cleanly when it is absent."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus/hf-configs is not present")
    return CORPUS
