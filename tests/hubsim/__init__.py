"""A local Hugging Face Hub for tests and benchmarks (see README.md in this folder)."""

from tests.hubsim.catalogue import SimModel, git_sha1, placeholder_safetensors
from tests.hubsim.faults import Fault, Faults
from tests.hubsim.server import HubSim, Request

__all__ = ["Fault", "Faults", "HubSim", "Request", "SimModel", "git_sha1", "placeholder_safetensors"]
