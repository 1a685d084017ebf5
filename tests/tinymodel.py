"""A tiny language model of a real mlx-lm architecture, built on the fly: nothing is downloaded.

It is what mlx-lm really loads and runs (on the CPU build of MLX too): a `config.json` for `llama` or
`qwen2`, random weights saved as safetensors under the names mlx-lm expects, a byte-level BPE tokenizer
trained with the `tokenizers` library, and a ChatML chat template in `tokenizer_config.json`.

Usage:

    cache = CacheBuilder(tmp_path / "hub")
    repo = add_tiny_model(cache, "tiny-org/tiny-llama")             # in an HF cache layout
    repo = add_tiny_model(cache, "tiny-org/no-weights", weights=False)
    files = tiny_model_files(model_type="qwen2")                    # {"config.json": ..., ...} as bytes
    write_tiny_model(tmp_path / "plain-folder")                     # the same files in a plain folder

With greedy sampling (temperature 0) the model never ends its answer on its own: the output rows of the
special tokens (and of unprintable bytes) are zero, so their logit is 0 while the largest of the other few
hundred random logits is positive. Generation therefore runs until `max_tokens` (or until it is stopped),
which the tests rely on.
Everything is deterministic for a given seed.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

from tests.cachebuilder import CacheBuilder, Repo

HIDDEN = 64
LAYERS = 2
HEADS = 4
KV_HEADS = 2
INTERMEDIATE = 128
VOCAB_TARGET = 384

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")

# The ChatML template Qwen2 models ship (a real template, as transformers renders it with Jinja).
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}"
    "{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

_CORPUS = (
    "The quick brown fox jumps over the lazy dog.",
    "Apple Silicon runs language models with MLX in unified memory.",
    "A model card says what the model is, what it can do and whether it fits.",
    "Hello! How are you today? I am fine, thank you.",
    "Tokens stream one by one, and the answer appears as it is written.",
    "Numbers such as 1, 2, 3, 42 and 2026 are tokens too.",
    "Write a haiku about the sea: waves fold into foam, the tide keeps its time.",
)


@functools.lru_cache(maxsize=1)
def tokenizer_json() -> str:
    """A byte-level BPE tokenizer (GPT-2 style: any text encodes, nothing is unknown), trained here."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_TARGET,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_CORPUS * 20, trainer)
    text: str = tokenizer.to_str()
    return text


def vocab_size() -> int:
    return len(json.loads(tokenizer_json())["model"]["vocab"])


def special_token_ids() -> dict[str, int]:
    added = json.loads(tokenizer_json())["added_tokens"]
    return {token["content"]: int(token["id"]) for token in added}


@functools.lru_cache(maxsize=1)
def unprintable_token_ids() -> frozenset[int]:
    """Special tokens and tokens that decode to anything but printable ASCII (lone bytes of UTF-8...)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_str(tokenizer_json())
    special = set(special_token_ids().values())
    bad = set(special)
    for token_id in range(vocab_size()):
        if token_id in special:
            continue
        text = tokenizer.decode([token_id])
        if not text or not all(" " <= ch <= "~" for ch in text):
            bad.add(token_id)
    return frozenset(bad)


def tokenizer_config(*, chat_template: bool = True) -> dict[str, object]:
    ids = special_token_ids()
    config: dict[str, object] = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": None,
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "unk_token": None,
        "model_max_length": 4096,
        "clean_up_tokenization_spaces": False,
        "added_tokens_decoder": {
            str(ids[token]): {"content": token, "lstrip": False, "normalized": False, "rstrip": False,
                              "single_word": False, "special": True}
            for token in SPECIAL_TOKENS
        },
    }
    if chat_template:
        config["chat_template"] = CHAT_TEMPLATE
    return config


def model_config(model_type: str = "llama") -> dict[str, object]:
    """A real config.json for the architecture (the keys transformers writes, at toy sizes)."""
    ids = special_token_ids()
    architectures = {"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM"}
    return {
        "architectures": [architectures.get(model_type, "LlamaForCausalLM")],
        "model_type": model_type,
        "hidden_size": HIDDEN,
        "intermediate_size": INTERMEDIATE,
        "num_hidden_layers": LAYERS,
        "num_attention_heads": HEADS,
        "num_key_value_heads": KV_HEADS,
        "head_dim": HIDDEN // HEADS,
        "max_position_embeddings": 4096,
        "rms_norm_eps": 1e-6,
        "rope_theta": 10000.0,
        "vocab_size": vocab_size(),
        "tie_word_embeddings": False,
        "hidden_act": "silu",
        "bos_token_id": None,
        "eos_token_id": ids["<|im_end|>"],
        "torch_dtype": "float32",
        "use_cache": True,
    }


def weights(model_type: str = "llama", seed: int = 0) -> dict[str, np.ndarray]:
    """Random weights under the names mlx-lm's llama/qwen2 modules load (strictly: no extra, none missing)."""
    rng = np.random.default_rng(seed)
    head_dim = HIDDEN // HEADS
    vocab = vocab_size()

    def normal(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.5).astype(np.float32)

    tensors: dict[str, np.ndarray] = {"model.embed_tokens.weight": normal(vocab, HIDDEN)}
    for i in range(LAYERS):
        p = f"model.layers.{i}."
        tensors[p + "self_attn.q_proj.weight"] = normal(HEADS * head_dim, HIDDEN)
        tensors[p + "self_attn.k_proj.weight"] = normal(KV_HEADS * head_dim, HIDDEN)
        tensors[p + "self_attn.v_proj.weight"] = normal(KV_HEADS * head_dim, HIDDEN)
        tensors[p + "self_attn.o_proj.weight"] = normal(HIDDEN, HEADS * head_dim)
        if model_type == "qwen2":
            tensors[p + "self_attn.q_proj.bias"] = normal(HEADS * head_dim)
            tensors[p + "self_attn.k_proj.bias"] = normal(KV_HEADS * head_dim)
            tensors[p + "self_attn.v_proj.bias"] = normal(KV_HEADS * head_dim)
        tensors[p + "mlp.gate_proj.weight"] = normal(INTERMEDIATE, HIDDEN)
        tensors[p + "mlp.up_proj.weight"] = normal(INTERMEDIATE, HIDDEN)
        tensors[p + "mlp.down_proj.weight"] = normal(HIDDEN, INTERMEDIATE)
        tensors[p + "input_layernorm.weight"] = np.ones(HIDDEN, dtype=np.float32)
        tensors[p + "post_attention_layernorm.weight"] = np.ones(HIDDEN, dtype=np.float32)
    tensors["model.norm.weight"] = np.ones(HIDDEN, dtype=np.float32)
    head = normal(vocab, HIDDEN)
    # Zero rows: special tokens, and bytes that are not printable text, get logit 0 and never win a greedy
    # pick (see the module docstring), so answers are readable ASCII.
    for token_id in unprintable_token_ids():
        head[token_id] = 0.0
    tensors["lm_head.weight"] = head
    return tensors


@functools.lru_cache(maxsize=4)
def _safetensors_bytes(model_type: str, seed: int) -> bytes:
    from safetensors.numpy import save

    return bytes(save(weights(model_type, seed), metadata={"format": "mlx"}))


def tiny_model_files(
    *,
    model_type: str = "llama",
    seed: int = 0,
    weights: bool = True,
    tokenizer: bool = True,
    chat_template: bool = True,
    config_model_type: str | None = None,
) -> dict[str, bytes]:
    """The files of the repo. `weights=False` / `tokenizer=False` leave those files out; `config_model_type`
    writes another `model_type` into config.json (e.g. one mlx-lm has no module for)."""
    config = model_config(model_type)
    if config_model_type is not None:
        config["model_type"] = config_model_type
    files: dict[str, bytes] = {
        "config.json": json.dumps(config, indent=2).encode(),
        "generation_config.json": json.dumps({"eos_token_id": config["eos_token_id"]}).encode(),
        "README.md": b"---\nlibrary_name: mlx\ntags:\n- mlx\n---\n# A tiny test model\n",
    }
    if tokenizer:
        files["tokenizer.json"] = tokenizer_json().encode()
        files["tokenizer_config.json"] = json.dumps(tokenizer_config(chat_template=chat_template),
                                                    indent=2).encode()
        files["special_tokens_map.json"] = json.dumps(
            {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}).encode()
    if weights:
        files["model.safetensors"] = _safetensors_bytes(model_type, seed)
    return files


def add_tiny_model(cache: CacheBuilder, repo_id: str = "tiny-org/tiny-llama", **options: object) -> Repo:
    """The tiny model in a real HF cache layout (blobs, refs/main, snapshot links); options as in
    `tiny_model_files`."""
    return cache.add_model(repo_id, tiny_model_files(**options))  # type: ignore[arg-type]


def write_tiny_model(folder: Path, **options: object) -> Path:
    """The tiny model as a plain folder (what `mlx_lm.load(path)` takes)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in tiny_model_files(**options).items():  # type: ignore[arg-type]
        (folder / name).write_bytes(data)
    return folder


# Ids used by `add_try_models`: what the Try tests need in one cache.
LLAMA = "tiny-org/tiny-llama"
QWEN = "tiny-org/tiny-qwen2"
NO_WEIGHTS = "tiny-org/no-weights"
NO_TOKENIZER = "tiny-org/no-tokenizer"
UNSUPPORTED = "tiny-org/tiny-unsupported"


def add_try_models(cache: CacheBuilder) -> dict[str, Repo]:
    """A runnable llama and qwen2, and three that cannot run: no weights, no tokenizer, and a model_type
    the installed mlx-lm has no module for."""
    return {
        LLAMA: add_tiny_model(cache, LLAMA),
        QWEN: add_tiny_model(cache, QWEN, model_type="qwen2"),
        NO_WEIGHTS: add_tiny_model(cache, NO_WEIGHTS, weights=False),
        NO_TOKENIZER: add_tiny_model(cache, NO_TOKENIZER, tokenizer=False),
        UNSUPPORTED: add_tiny_model(cache, UNSUPPORTED, config_model_type="tiny_made_up_arch"),
    }


def reference_answer(snapshot: Path, prompt: str, max_tokens: int) -> tuple[str, int]:
    """What mlx-lm itself answers, in this process (greedy, chat template applied): (text, prompt tokens)."""
    from mlx_lm import load, stream_generate
    from mlx_lm.sample_utils import make_sampler

    model, tokenizer = load(str(snapshot))
    text = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                         add_generation_prompt=True)
    tokens = tokenizer.encode(text, add_special_tokens=False)
    pieces = [response.text for response in stream_generate(model, tokenizer, tokens, max_tokens=max_tokens,
                                                             sampler=make_sampler(temp=0.0))]
    return "".join(pieces), len(tokens)
