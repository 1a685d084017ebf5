"""Realistic generated repos, deterministic from a seed: variety for listing, badges and filters."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tests.hubsim.catalogue import SimModel, placeholder_safetensors


@dataclass(frozen=True)
class _Size:
    label: str
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    billions: float


@dataclass(frozen=True)
class _Family:
    org: str
    base: str
    model_type: str
    arch: str
    vocab: int
    context: int
    sizes: tuple[_Size, ...]
    gated: str | None = None
    pipeline: str = "text-generation"
    experts: tuple[int, int] | None = None  # (experts, experts per token)
    vision: bool = False
    instruct: str = "-Instruct"


def _s(label: str, hidden: int, layers: int, heads: int, kv: int, inter: int, billions: float) -> _Size:
    return _Size(label, hidden, layers, heads, kv, inter, billions)


FAMILIES: tuple[_Family, ...] = (
    _Family("Qwen", "Qwen3", "qwen3", "Qwen3ForCausalLM", 151936, 40960, (
        _s("0.6B", 1024, 28, 16, 8, 3072, 0.6), _s("1.7B", 2048, 28, 16, 8, 6144, 1.7),
        _s("4B", 2560, 36, 32, 8, 9728, 4.0), _s("8B", 4096, 36, 32, 8, 12288, 8.2),
        _s("14B", 5120, 40, 40, 8, 17408, 14.8), _s("32B", 5120, 64, 64, 8, 25600, 32.8)), instruct=""),
    _Family("Qwen", "Qwen2.5", "qwen2", "Qwen2ForCausalLM", 152064, 32768, (
        _s("0.5B", 896, 24, 14, 2, 4864, 0.5), _s("1.5B", 1536, 28, 12, 2, 8960, 1.5),
        _s("3B", 2048, 36, 16, 2, 11008, 3.1), _s("7B", 3584, 28, 28, 4, 18944, 7.6),
        _s("14B", 5120, 48, 40, 8, 13824, 14.7), _s("72B", 8192, 80, 64, 8, 29568, 72.7))),
    _Family("Qwen", "Qwen3-30B-A3B", "qwen3_moe", "Qwen3MoeForCausalLM", 151936, 40960, (
        _s("", 2048, 48, 32, 4, 6144, 30.5),), experts=(128, 8), instruct="-Instruct-2507"),
    _Family("Qwen", "Qwen2.5-VL", "qwen2_5_vl", "Qwen2_5_VLForConditionalGeneration", 152064, 128000, (
        _s("3B", 2048, 36, 16, 2, 11008, 3.8), _s("7B", 3584, 28, 28, 4, 18944, 8.3)),
        pipeline="image-text-to-text", vision=True),
    _Family("meta-llama", "Llama-3.2", "llama", "LlamaForCausalLM", 128256, 131072, (
        _s("1B", 2048, 16, 32, 8, 8192, 1.2), _s("3B", 3072, 28, 24, 8, 8192, 3.2)), gated="manual"),
    _Family("meta-llama", "Llama-3.1", "llama", "LlamaForCausalLM", 128256, 131072, (
        _s("8B", 4096, 32, 32, 8, 14336, 8.0), _s("70B", 8192, 80, 64, 8, 28672, 70.6)), gated="manual"),
    _Family("mistralai", "Mistral", "mistral", "MistralForCausalLM", 32768, 32768, (
        _s("7B", 4096, 32, 32, 8, 14336, 7.2),), instruct="-Instruct-v0.3"),
    _Family("mistralai", "Mixtral-8x7B", "mixtral", "MixtralForCausalLM", 32000, 32768, (
        _s("", 4096, 32, 32, 8, 14336, 46.7),), experts=(8, 2), instruct="-Instruct-v0.1"),
    _Family("google", "gemma-3", "gemma3_text", "Gemma3ForCausalLM", 262144, 32768, (
        _s("1b", 1152, 26, 4, 1, 6912, 1.0), _s("4b", 2560, 34, 8, 4, 10240, 4.3),
        _s("12b", 3840, 48, 16, 8, 15360, 12.2), _s("27b", 5376, 62, 32, 16, 21504, 27.4)),
        gated="auto", instruct="-it"),
    _Family("microsoft", "phi-4", "phi3", "Phi3ForCausalLM", 100352, 16384, (
        _s("", 5120, 40, 40, 10, 17920, 14.7),), instruct=""),
    _Family("deepseek-ai", "DeepSeek-R1-Distill-Qwen", "qwen2", "Qwen2ForCausalLM", 152064, 131072, (
        _s("1.5B", 1536, 28, 12, 2, 8960, 1.8), _s("7B", 3584, 28, 28, 4, 18944, 7.6),
        _s("14B", 5120, 48, 40, 8, 13824, 14.8), _s("32B", 5120, 64, 40, 8, 27648, 32.8)), instruct=""),
    _Family("HuggingFaceTB", "SmolLM2", "llama", "LlamaForCausalLM", 49152, 8192, (
        _s("135M", 576, 30, 9, 3, 1536, 0.135), _s("360M", 960, 32, 15, 5, 2560, 0.36),
        _s("1.7B", 2048, 24, 32, 32, 8192, 1.7))),
    _Family("openai", "gpt-oss", "gpt_oss", "GptOssForCausalLM", 201088, 131072, (
        _s("20b", 2880, 24, 64, 8, 2880, 20.9),), experts=(32, 4), instruct=""),
    _Family("openai", "gpt-oss", "gpt_oss", "GptOssForCausalLM", 201088, 131072, (
        _s("120b", 2880, 36, 64, 8, 2880, 116.8),), experts=(128, 4), instruct=""),
)

# (suffix, bits, group size, mode); bits None = unquantized.
MLX_QUANTS: tuple[tuple[str, int | None, int, str], ...] = (
    ("4bit", 4, 64, "affine"), ("4bit", 4, 64, "affine"), ("8bit", 8, 64, "affine"),
    ("3bit", 3, 64, "affine"), ("6bit", 6, 64, "affine"), ("bf16", None, 0, ""),
    ("4bit-DWQ", 4, 64, "affine"), ("mxfp4", 4, 32, "mxfp4"),
)
GGUF_PUBLISHERS = ("bartowski", "lmstudio-community", "unsloth", "TheBloke", "MaziyarPanahi")
FINETUNES = ("abliterated", "heretic", "uncensored", "DPO", "SFT", "Coder", "Math", "RP", "distill", "merge")
_ADJ = ("quiet", "rapid", "mellow", "cosmic", "lucid", "amber", "noble", "brisk", "vivid", "solar")
_NOUN = ("otter", "falcon", "maple", "quartz", "ember", "harbor", "lynx", "cedar", "comet", "willow")

_EPOCH = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)


def _date(days: float) -> str:
    return (_EPOCH + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _config(family: _Family, size: _Size, quant: tuple[str, int | None, int, str] | None) -> dict[str, Any]:
    config: dict[str, Any] = {
        "architectures": [family.arch],
        "model_type": family.model_type,
        "hidden_size": size.hidden,
        "intermediate_size": size.intermediate,
        "num_hidden_layers": size.layers,
        "num_attention_heads": size.heads,
        "num_key_value_heads": size.kv_heads,
        "max_position_embeddings": family.context,
        "vocab_size": family.vocab,
        "rms_norm_eps": 1e-06,
        "rope_theta": 1000000.0,
        "tie_word_embeddings": size.billions < 4,
        "torch_dtype": "bfloat16",
        "use_cache": True,
    }
    if family.experts is not None:
        key = "num_local_experts" if family.model_type in ("mixtral", "gpt_oss") else "num_experts"
        config[key] = family.experts[0]
        config["num_experts_per_tok"] = family.experts[1]
    if family.vision:
        config["vision_config"] = {"depth": 32, "hidden_size": 1280, "patch_size": 14}
        config["image_token_id"] = 151655
    if quant is not None and quant[1] is not None:
        q: dict[str, Any] = {"group_size": quant[2], "bits": quant[1], "mode": quant[3]}
        config["quantization"] = q
        config["quantization_config"] = dict(q)
    return config


def _safetensors(billions: float, bits: int | None, group: int) -> dict[str, Any]:
    total = int(billions * 1e9)
    if bits is None:
        params = {"BF16": total}
    else:
        # Packed U32 words plus BF16 scales and biases (two per group), the way MLX stores them.
        params = {"U32": total * bits // 32, "BF16": max(2 * total // max(group, 1), 1)}
    return {"parameters": params, "total": sum(params.values())}


def _weight_files(safetensors: dict[str, Any], billions: float) -> dict[str, bytes]:
    params: dict[str, int] = safetensors["parameters"]
    if billions < 10:
        return {"model.safetensors": placeholder_safetensors(params)}
    # Big repos are sharded: two shards and an index, as mlx_lm and transformers write them.
    first = {k: v // 2 for k, v in params.items()}
    second = {k: v - v // 2 for k, v in params.items()}
    names = ("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors")
    prefixes = ("weights", "weights_b")
    weight_map = {
        f"{prefix}.{j}": name
        for name, prefix, part in zip(names, prefixes, (first, second), strict=True)
        for j in range(len(part))
    }
    index = {"metadata": {"total_size": int(billions * 1e9)}, "weight_map": weight_map}
    return {
        names[0]: placeholder_safetensors(first, prefixes[0]),
        names[1]: placeholder_safetensors(second, prefixes[1]),
        "model.safetensors.index.json": json.dumps(index, indent=2).encode(),
    }


class LazyFiles(Mapping[str, bytes]):
    """A file map built on first access, so 50k generated repos cost only their metadata up front."""

    def __init__(self, factory: Callable[[], dict[str, bytes]]) -> None:
        self._factory = factory
        self._files: dict[str, bytes] | None = None

    def _get(self) -> dict[str, bytes]:
        if self._files is None:
            self._files = self._factory()
        return self._files

    def __getitem__(self, key: str) -> bytes:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


def generate(n: int, seed: int, taken: set[str]) -> Iterator[SimModel]:
    """Yield `n` models with ids not in `taken` (which is updated)."""
    rng = random.Random(seed)
    made = 0
    while made < n:
        family = rng.choice(FAMILIES)
        size = rng.choice(family.sizes)
        size_part = f"-{size.label}" if size.label else ""
        instruct = family.instruct if rng.random() < 0.7 else ""
        base_name = f"{family.base}{size_part}{instruct}"
        kind = rng.random()
        quant: tuple[str, int | None, int, str] | None = None
        gated: str | None = None
        user = f"{rng.choice(_ADJ)}-{rng.choice(_NOUN)}{rng.randint(1, 999)}"
        if kind < 0.40:
            quant = rng.choice(MLX_QUANTS)
            model_id = f"mlx-community/{base_name}-{quant[0]}"
        elif kind < 0.52:
            quant = rng.choice(MLX_QUANTS)
            org = "lmstudio-community" if rng.random() < 0.4 else user
            model_id = f"{org}/{base_name}-MLX-{quant[0]}"
        elif kind < 0.62:
            model_id = f"{family.org}/{base_name}"
            gated = family.gated
        elif kind < 0.80:
            model_id = f"{user}/{base_name}-{rng.choice(FINETUNES)}"
            gated = "auto" if rng.random() < 0.05 else None
        else:
            model_id = f"{rng.choice(GGUF_PUBLISHERS)}/{base_name}-GGUF"
        if model_id in taken:
            # Popular names are taken: a user's fine-tune of the same base, like on the real Hub.
            quant_part = f"-{quant[0]}" if quant is not None else ""
            model_id = f"{user}/{base_name}-{rng.choice(FINETUNES)}{quant_part}"
            if model_id in taken:
                continue
        taken.add(model_id)
        made += 1
        created = rng.uniform(0, 1000)
        modified = created + rng.uniform(0, 300)
        downloads = int(rng.paretovariate(1.2) * 20) - 20
        yield _model(family, size, model_id, quant, gated, kind >= 0.80, rng,
                     created=_date(created), modified=_date(modified), downloads=downloads)


def _model(
    family: _Family, size: _Size, model_id: str, quant: tuple[str, int | None, int, str] | None,
    gated: str | None, is_gguf: bool, rng: random.Random, *, created: str, modified: str, downloads: int,
) -> SimModel:
    likes = int(downloads ** 0.5 * rng.uniform(0, 1.5))
    trending = int(rng.expovariate(0.3)) if rng.random() < 0.3 else 0
    readme = f"---\nlicense: apache-2.0\nbase_model: {family.org}/{family.base}\n---\n# {model_id}\n".encode()
    common = dict(
        id=model_id, gated=gated, downloads=downloads, likes=likes, trending_score=trending,
        created_at=created, last_modified=modified, pipeline_tag=family.pipeline,
    )
    if is_gguf:
        gguf_file = f"{model_id.split('/')[1].removesuffix('-GGUF')}-Q4_K_M.gguf"
        return SimModel(
            files={"README.md": readme, gguf_file: b"GGUF\x03\x00\x00\x00" + bytes(56)},
            tags=("gguf", family.model_type, family.pipeline, "endpoints_compatible", "region:us"),
            library_name=None,
            gguf={"total": int(size.billions * 1e9), "architecture": family.model_type,
                  "context_length": family.context},
            **common,  # type: ignore[arg-type]
        )
    bits = quant[1] if quant is not None else None
    group = quant[2] if quant is not None else 0
    safetensors = _safetensors(size.billions, bits, group)
    def files() -> dict[str, bytes]:
        tokenizer = {"add_bos_token": False, "eos_token": "<|im_end|>", "model_max_length": family.context}
        return {
            "config.json": json.dumps(_config(family, size, quant), indent=2).encode(),
            "README.md": readme,
            "tokenizer_config.json": json.dumps(tokenizer, indent=2).encode(),
            **_weight_files(safetensors, size.billions),
        }

    is_mlx = quant is not None
    library = "mlx" if is_mlx else "transformers"
    tags = [library, "safetensors", family.model_type, family.pipeline, "conversational"]
    tags.append("license:apache-2.0")
    if is_mlx:
        tags.append(f"base_model:{family.org}/{family.base}")
        if bits is not None:
            tags.append(f"{bits}-bit")
    tags.append("region:us")
    return SimModel(
        files=LazyFiles(files), tags=tuple(tags), library_name=library, safetensors=safetensors,
        **common,  # type: ignore[arg-type]
    )
