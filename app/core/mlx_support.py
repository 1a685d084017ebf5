"""Will mlx-lm run this model? Decided purely from a snapshot of the installed mlx-lm's registry.

mlx-lm resolves a config's `model_type` in `_get_classes`: an (model_type, architecture) remapping first,
else `MODEL_REMAPPING`, then it imports `mlx_lm.models.<type>` or fails with "Model type X not supported."
The same steps run here against a `Registry` (read once, off the GUI thread, by
`app.services.mlx_support`), so a card can say why without importing mlx.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.core.characteristics import ModelCharacteristics
from app.core.values import as_str

SUPPORTED = "supported"
REMAPPED = "remapped"
TEXT_ONLY = "text-only"
REMOTE_CODE = "remote-code"
UNSUPPORTED = "unsupported"
UNKNOWN = "unknown"
RUNS = frozenset({SUPPORTED, REMAPPED, TEXT_ONLY})  # statuses where `mlx_lm.load` builds the model


@dataclass(frozen=True)
class Registry:
    """What the installed mlx-lm can build: its model modules and its remapping tables."""

    version: str
    modules: frozenset[str]
    remapping: Mapping[str, str] = field(default_factory=dict)
    architecture_remapping: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def resolve(self, model_type: str, architectures: tuple[str, ...] | None = None) -> str | None:
        """The module mlx-lm would import for this type, or None when it has none (as `_get_classes`)."""
        target = None
        for architecture in architectures or ():
            target = self.architecture_remapping.get((model_type, architecture))
            if target is not None:
                break
        if target is None:
            target = self.remapping.get(model_type, model_type)
        return target if target in self.modules else None


@dataclass(frozen=True)
class CodeFacts:
    """What a raw config says about custom code (not kept in `ModelCharacteristics`)."""

    model_file: str | None = None  # mlx-lm's own hook: a module shipped with the weights
    auto_map: bool = False  # transformers' trust_remote_code classes


def code_facts(config: object) -> CodeFacts:
    if not isinstance(config, Mapping):
        return CodeFacts()
    auto_map = config.get("auto_map")
    return CodeFacts(model_file=as_str(config.get("model_file")),
                     auto_map=isinstance(auto_map, Mapping) and bool(auto_map))


@dataclass(frozen=True)
class MlxStatus:
    status: str
    module: str | None
    version: str
    reason: str | None

    @property
    def runs(self) -> bool:
        return self.status in RUNS

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "module": self.module, "version": self.version, "reason": self.reason}


_NEEDS = {"vision": "images need mlx-vlm", "audio": "audio needs mlx-vlm",
          "vision-audio": "images and audio need mlx-vlm"}


def support_status(registry: Registry | None, c: ModelCharacteristics | None,
                   code: CodeFacts | None = None) -> MlxStatus:
    """One status per model, with a reason a person can act on (None when there is nothing to add)."""
    if registry is None:
        return MlxStatus(UNKNOWN, None, "", "mlx-lm is not installed here")
    version = registry.version
    model_type = c.model_type if c is not None else None
    if code is not None and code.model_file:
        return MlxStatus(REMOTE_CODE, None, version,
                         f"needs trust_remote_code: the model ships its own code ({code.model_file})")
    if not model_type:
        return MlxStatus(UNKNOWN, None, version, "the config has no model_type")
    assert c is not None
    module = registry.resolve(model_type, c.architectures)
    if module is None:
        if code is not None and code.auto_map:
            return MlxStatus(REMOTE_CODE, None, version,
                             f"custom code (auto_map, trust_remote_code): mlx-lm {version} has no "
                             f"'{model_type}' architecture")
        reason = f"mlx-lm {version} has no '{model_type}' architecture"
        if c.is_multimodal:
            reason += " (mlx-vlm may run it)"
        return MlxStatus(UNSUPPORTED, None, version, reason)
    if c.is_multimodal:
        needs = _NEEDS.get(c.multimodal_type or "", "other inputs need mlx-vlm")
        return MlxStatus(TEXT_ONLY, module, version, f"mlx-lm runs the language part only: {needs}")
    if module != model_type:
        return MlxStatus(REMAPPED, module, version, f"mlx-lm runs '{model_type}' with its '{module}' code")
    return MlxStatus(SUPPORTED, module, version, None)
