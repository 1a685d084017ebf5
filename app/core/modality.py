"""Multimodal detection: what goes in besides text (vision, audio), from config structure first."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from app.core.values import as_str


@dataclass(frozen=True)
class Modality:
    is_multimodal: bool | None
    kind: str | None  # "vision", "audio", "vision-audio"


_VISION_KEYS = ("image_token_id", "image_token_index", "video_token_id", "video_token_index",
                "vision_start_token_id", "image_pad_token_id", "media_placeholder_token_id",
                "boi_token_index", "img_context_token_id", "image_seq_length")
_AUDIO_KEYS = ("audio_token_id", "audio_token_index", "boa_token_id", "audio_start_token_id")
_VISION_CONFIGS = ("vision_config", "visual", "vision_tower_config", "image_config", "vit_config")
_AUDIO_CONFIGS = ("audio_config", "audio_encoder_config", "speech_config", "acoustic_tokenizer_config",
                  "encoder_config_audio")
_VISION_TOWERS = ("mm_vision_tower", "vision_tower", "image_tower")
_AUDIO_TOWERS = ("mm_audio_tower", "audio_tower", "speech_tower")

_VISION_STRUCTURE = frozenset(_VISION_CONFIGS + _VISION_KEYS)
_AUDIO_STRUCTURE = frozenset(_AUDIO_CONFIGS + _AUDIO_KEYS)
_VISION_TOWER_SET = frozenset(_VISION_TOWERS)
_AUDIO_TOWER_SET = frozenset(_AUDIO_TOWERS)
_SIGNAL_KEYS = _VISION_STRUCTURE | _AUDIO_STRUCTURE | _VISION_TOWER_SET | _AUDIO_TOWER_SET

# Whole words from model_type and architecture names.
_VISION_WORDS = {"vl", "vision", "visual", "vlm", "image", "llava", "idefics", "idefics2", "idefics3",
                 "paligemma", "mllama", "pixtral", "smolvlm", "florence", "molmo", "moondream", "internvl",
                 "vit", "siglip", "clip", "imagetext", "qwen2vl", "phi3v", "phi4mm", "kimivl", "glm4v",
                 "minicpmv", "ovis", "aria", "fuyu", "blip", "deepseekvl", "janus", "multimodal"}
_AUDIO_WORDS = {"audio", "speech", "whisper", "voxtral", "wav2vec2", "hubert", "asr", "tts", "speecht5",
                "vibevoice", "encodec", "musicgen", "bark", "kokoro", "csm", "parakeet", "omni", "phi4mm",
                "seamless", "qwen2audio", "mimi", "moshi", "sesame"}


@lru_cache(maxsize=4096)
def _words(text: str) -> frozenset[str]:
    # "Qwen2_5_VLForConditionalGeneration" -> {"qwen2", "5", "vl", "for", "conditional", "generation"}
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", text)
    words = {w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w}
    words |= {re.sub(r"\d+$", "", w) for w in words}  # "idefics3" also as "idefics"
    return frozenset(words)


def _present(config: Mapping[str, Any], key: str) -> bool:
    value = config.get(key)
    if value is None or value is False:
        return False
    if isinstance(value, dict | list | str):  # the JSON types first: abstract Mapping checks are slow
        return bool(value)
    if isinstance(value, Mapping | list | str):
        return bool(value)
    return True


def detect(top: Mapping[str, Any], model_type: str | None, architectures: tuple[str, ...] | None) -> Modality:
    # Only the signal keys the config actually has (a set intersection is far cheaper than probing each).
    keys = top.keys() & _SIGNAL_KEYS
    vision = any(_present(top, k) for k in keys & _VISION_STRUCTURE)
    audio = any(_present(top, k) for k in keys & _AUDIO_STRUCTURE)
    vision = vision or any(as_str(top.get(k), max_len=500) for k in keys & _VISION_TOWER_SET)
    audio = audio or any(as_str(top.get(k), max_len=500) for k in keys & _AUDIO_TOWER_SET)
    # An audio token id without an audio encoder (Gemma 4, audio_config: null) is a slot, not a capability.
    if audio and "audio_config" in top and top.get("audio_config") is None and not any(
        _present(top, k) for k in _AUDIO_CONFIGS[1:] + _AUDIO_TOWERS
    ):
        audio = False
    words: set[str] = set()
    for name in (model_type or "", *(architectures or ())):
        words |= _words(name)
    vision = vision or bool(words & _VISION_WORDS)
    audio = audio or bool(words & _AUDIO_WORDS)
    if not (model_type or architectures or vision or audio or top):
        return Modality(None, None)
    if vision and audio:
        return Modality(True, "vision-audio")
    if vision:
        return Modality(True, "vision")
    if audio:
        return Modality(True, "audio")
    return Modality(False, None)
