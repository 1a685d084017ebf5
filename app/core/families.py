"""Architecture families: one normalisation table for configs, Hub tags and repo names.

The table covers every architecture the installed mlx-lm knows (its `models/` modules and its
remapping table; a unit test keeps that true) plus common VLM, embedding and speech types.
"""

from __future__ import annotations

import re
from functools import lru_cache

UNKNOWN = "Unknown"

# Display names people recognise, keyed by the family's stem.
_FAMILY_STEMS: dict[str, str] = {
    "llama": "Llama", "qwen": "Qwen", "mistral": "Mistral", "mixtral": "Mistral", "ministral": "Mistral",
    "pixtral": "Mistral", "devstral": "Mistral", "magistral": "Mistral", "codestral": "Mistral",
    "voxtral": "Mistral", "gemma": "Gemma", "paligemma": "Gemma", "phi": "Phi", "deepseek": "DeepSeek",
    "gpt_oss": "GPT-OSS", "glm": "GLM", "chatglm": "GLM", "kimi": "Kimi", "olmo": "OLMo",
    "exaone": "EXAONE", "lfm": "LFM", "nemotron": "Nemotron", "granite": "Granite", "cohere": "Command R",
    "falcon": "Falcon", "mamba": "Mamba", "jamba": "Jamba", "starcoder": "StarCoder",
    "gpt2": "GPT-2", "gpt_bigcode": "StarCoder", "gpt_neox": "GPT-NeoX", "gptj": "GPT-J",
    "internlm": "InternLM", "internvl": "InternVL", "minicpm": "MiniCPM", "minimax": "MiniMax",
    "baichuan": "Baichuan", "hunyuan": "Hunyuan", "ernie": "ERNIE", "smollm": "SmolLM", "smolvlm": "SmolVLM",
    "idefics": "Idefics", "llava": "LLaVA", "stablelm": "StableLM", "openelm": "OpenELM", "dbrx": "DBRX",
    "bitnet": "BitNet", "rwkv": "RWKV", "mimo": "MiMo", "plamo": "PLaMo", "helium": "Helium",
    "apertus": "Apertus", "seed_oss": "Seed-OSS", "bailing": "Ling", "ling": "Ling", "dots": "dots.llm",
    "longcat": "LongCat", "step": "Step", "whisper": "Whisper", "bert": "BERT", "roberta": "RoBERTa",
    "xlm_roberta": "RoBERTa", "modernbert": "ModernBERT", "nomic_bert": "BERT", "t5": "T5", "vit": "ViT",
    "siglip": "SigLIP", "clip": "CLIP", "florence": "Florence", "moondream": "Moondream", "molmo": "Molmo",
    "afm": "AFM", "klear": "Klear", "telechat": "TeleChat", "youtu": "Youtu", "nanbeige": "Nanbeige",
    "nanochat": "nanochat", "solar": "Solar", "xverse": "XVERSE", "mellum": "Mellum", "lille": "Lille",
    "iquest": "IQuest", "laguna": "Laguna", "talkie": "Talkie", "gear": "Gear", "muse": "Muse",
    "spark": "Spark", "vibevoice": "VibeVoice", "csm": "CSM", "kokoro": "Kokoro", "orpheus": "Orpheus",
    "wav2vec2": "Wav2Vec2", "hubert": "HuBERT", "parakeet": "Parakeet", "mllama": "Llama",
    "aya": "Aya", "command": "Command R", "arcee": "Arcee", "afmoe": "Arcee", "ovis": "Ovis",
    "deci": "Nemotron", "prism": "Qwen", "recurrent_gemma": "Gemma", "phixtral": "Phi",
    "kimi_vl": "Kimi", "dattn_gemma": "Gemma", "vllama": "Llama", "mpt": "MPT", "opt": "OPT",
    "bloom": "BLOOM", "yi": "Yi", "intern": "InternLM",
}

# model_type -> stem, for types whose name does not start with their family's stem.
_TYPE_ALIASES: dict[str, str] = {
    "afm7": "afm", "afmoe": "afmoe", "klear": "klear", "nemotron_nas": "nemotron", "nemotron-nas": "nemotron",
    "deci_lm": "nemotron", "decilm": "nemotron", "bailing_moe": "bailing", "bailing_hybrid": "bailing",
    "bailing_moe_linear": "bailing", "bailing_moe_v3": "bailing", "step3p5": "step", "dots1": "dots",
    "iquestloopcoder": "iquest", "iquestcoder": "iquest", "joyai_llm_flash": "deepseek",
    "kimi_k2": "kimi", "kimi_k25": "kimi", "kimi_k3": "kimi", "kimi_linear": "kimi",
    "glm_moe_dsa": "glm", "glm4v": "glm", "falcon_h1": "falcon", "falcon_mamba": "falcon",
    "granitemoe": "granite", "granitemoehybrid": "granite", "phimoe": "phi", "phi3small": "phi",
    "phi3v": "phi", "phi4mm": "phi", "phi_msft": "phi", "idefics3": "smolvlm", "smolvlm": "smolvlm",
    "lfm2_vl": "lfm", "lfm2-vl": "lfm", "mistral3": "mistral", "mistral4": "mistral",
    "ministral3": "mistral", "muse_glimmer": "muse", "muse_spark": "muse", "spark2_5": "spark",
    "olmo_hybrid": "olmo", "olmoe": "olmo", "telechat3": "telechat", "youtu_llm": "youtu",
    "solar_open": "solar", "lille-130m": "lille", "lille_130m": "lille", "hunyuan_v1_dense": "hunyuan",
    "prism_hadamard_qwen35": "qwen", "codegen": "codegen", "command_r": "cohere", "cohere2": "cohere",
    "minimax_m2": "minimax", "minimax_m3_vl": "minimax", "longcat_flash_ngram": "longcat",
    "deepseek_v41_text": "deepseek", "gemma4_unified": "gemma", "xlm-roberta": "xlm_roberta",
    "mllama": "mllama", "llama4": "llama", "llama4_text": "llama", "qwen2_5_omni": "qwen",
    "voxtral_encoder": "voxtral", "pixtral": "pixtral", "llava_next": "llava", "llava_onevision": "llava",
}
_FAMILY_STEMS["codegen"] = "CodeGen"

# Longest stems first so "gpt_bigcode" wins over "gpt2"-like prefixes and "paligemma" over "gemma".
_STEMS_BY_LENGTH = sorted(_FAMILY_STEMS, key=len, reverse=True)


def normalise_type(model_type: str) -> str:
    return model_type.strip().lower().replace("-", "_").replace(" ", "_")


@lru_cache(maxsize=4096)
def family_for_type(model_type: str | None) -> str | None:
    """The display family of a `model_type` (or architecture stem), None when unrecognised."""
    if not model_type:
        return None
    key = normalise_type(model_type)
    stem = _TYPE_ALIASES.get(key) or _TYPE_ALIASES.get(model_type.strip().lower())
    if stem is not None:
        return _FAMILY_STEMS.get(stem, UNKNOWN)
    compact = key.replace("_", "")
    for candidate in _STEMS_BY_LENGTH:
        if key.startswith(candidate) or compact.startswith(candidate.replace("_", "")):
            return _FAMILY_STEMS[candidate]
    return None


_ARCH_SUFFIX = re.compile(
    r"(For\w+|Model|LMHeadModel|Encoder|Decoder)$",
)


@lru_cache(maxsize=4096)
def family_for_architecture(architecture: str | None) -> str | None:
    """`Qwen2ForCausalLM` -> Qwen; `LlavaForConditionalGeneration` -> LLaVA."""
    if not architecture:
        return None
    stem = _ARCH_SUFFIX.sub("", architecture.strip())
    if not stem:
        return None
    # CamelCase to snake: "GptOss" -> "gpt_oss", "DeepseekV3" -> "deepseek_v3"
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", stem).lower()
    return family_for_type(snake)


def known_types() -> tuple[str, ...]:
    return tuple(sorted(set(_TYPE_ALIASES) | set(_FAMILY_STEMS)))


# --- Guesses from a repo name (tier 1) ------------------------------------------------------

_NAME_HINTS: tuple[tuple[str, str], ...] = tuple(
    (stem, family) for stem, family in sorted(_FAMILY_STEMS.items(), key=lambda kv: -len(kv[0]))
    if len(stem) >= 3
)


def family_from_name(repo_id: str) -> str | None:
    """Guess a family from a repo name ("mlx-community/Qwen2.5-7B-Instruct-4bit" -> Qwen)."""
    name = repo_id.rsplit("/", 1)[-1].lower().replace("-", "_").replace(".", "_")
    tokens = [t for t in re.split(r"[^a-z0-9]+", name.replace("_", " ")) if t]
    joined = "_".join(tokens)
    for stem, family in _NAME_HINTS:
        if stem in ("phi", "opt", "mpt", "yi", "step", "gear", "muse", "spark", "solar", "dots"):
            # Short or common words: only as a whole leading word or a word followed by digits.
            if any(re.fullmatch(rf"{stem}\d*(_\d+)*", t) for t in tokens):
                return family
            continue
        if joined.startswith(stem) or f"_{stem}" in f"_{joined}":
            return family
    return None
