"""A runnable toy model for the self-test's Try check: mlx-lm's llama at a few thousand parameters with random
weights, a word-level tokenizer and a config, written into the temp cache so the worker loads it as it
loads any downloaded model (mlx-lm's loader, transformers' tokenizer, MLX generating on the device)."""

from __future__ import annotations

import json
from pathlib import Path

from app.self_test.sample_cache import tiny_llama_config, write_repo

REPO_ID = "self-test/Tiny-Llama-runnable"
WORDS = ("hello", "world", "model", "runs", "here", "on", "apple", "silicon", "with", "mlx")
UNKNOWN, END = "<unk>", "<eos>"


def write_tiny_model(cache: Path) -> str:
    """Write the model under `cache` (an HF_HUB_CACHE folder); returns its repo id."""
    config = tiny_llama_config()
    vocab = {UNKNOWN: 0, END: 1, **{word: i + 2 for i, word in enumerate(WORDS)}}
    # Every id the model can emit decodes to something: fill the vocabulary up to the model's size.
    vocab.update({f"w{i}": i for i in range(len(vocab), int(config["vocab_size"]))})
    config["eos_token_id"] = vocab[END]
    write_repo(cache, REPO_ID, {
        "config.json": json.dumps(config).encode(),
        "model.safetensors": _weights(config),
        "tokenizer.json": _tokenizer(vocab).encode(),
        "tokenizer_config.json": json.dumps({
            "tokenizer_class": "PreTrainedTokenizerFast", "unk_token": UNKNOWN, "eos_token": END,
            "model_max_length": int(config["max_position_embeddings"]),
        }).encode(),
    })
    return REPO_ID


def _tokenizer(vocab: dict[str, int]) -> str:
    from tokenizers import Tokenizer, models, pre_tokenizers

    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token=UNKNOWN))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    text: str = tokenizer.to_str()
    return text


def _weights(config: dict[str, object]) -> bytes:
    """mlx-lm's own llama built from the config (random initial weights), saved the way MLX saves them."""
    import importlib
    import tempfile

    import mlx.core as mx
    from mlx.utils import tree_flatten

    module = importlib.import_module(f"mlx_lm.models.{config['model_type']}")
    mx.random.seed(0)  # the same weights, so the same answer, every run
    model = module.Model(module.ModelArgs.from_dict(config))
    weights = dict(tree_flatten(model.parameters()))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.safetensors"
        mx.save_safetensors(str(path), weights, metadata={"format": "mlx"})
        return path.read_bytes()
