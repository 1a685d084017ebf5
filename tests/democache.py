"""A realistic-looking local cache for README screenshots and manual runs.

    python -m tests.democache /tmp/demo/hub
    HF_HUB_CACHE=/tmp/demo/hub python -m app --screenshot shot.png

Configs are the real ones from ../shared/corpus (when present); weight files are sparse, so the cache
reports realistic sizes while using almost no disk. Access times are spread over the last weeks.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from tests.cachebuilder import CacheBuilder, readme

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "hf-configs"

# repo id shown -> (corpus file, weight bytes, days since last use)
MODELS = {
    "mlx-community/Qwen2.5-7B-Instruct-4bit": ("mlx-community__Qwen2.5-7B-Instruct-4bit__fused.json", 4.3e9, 2),
    "mlx-community/Qwen3-8B-4bit": ("georgehenney__Qwen3-8B-heretic__mlx-4bit.json", 4.6e9, 0),
    "mlx-community/Llama-3.2-1B-Instruct-4bit": ("mlx-community__Llama-3.2-1B-Instruct-4bit__fused.json", 0.7e9, 9),
    "mlx-community/LFM2-1.2B-4bit": ("LiquidAI__LFM2-1.2B__mlx-4bit.json", 0.66e9, 21),
    "wangjazz/Vidi1.5-9B-mlx-8bit": ("wangjazz__Vidi1.5-9B-mlx-8bit.json", 9.8e9, 5),
    "Qwen/Qwen3-VL-8B-Instruct": ("Qwen__Qwen3-VL-8B-Instruct.json", 17.5e9, 30),
    "openai/gpt-oss-20b": ("openai__gpt-oss-20b.json", 13.8e9, 3),
    "Qwen/Qwen3-30B-A3B": ("Qwen__Qwen3-30B-A3B.json", 61e9, 45),
}


def build(root: Path) -> None:
    cache = CacheBuilder(root)
    now = time.time()
    for repo_id, (corpus_file, weight_bytes, days) in MODELS.items():
        path = CORPUS / corpus_file
        config = json.loads(path.read_bytes()) if path.is_file() else {"model_type": "llama"}
        mlx = "quantization" in config
        card = readme(library_name="mlx" if mlx else "transformers")
        repo = cache.add_model(repo_id, {"config.json": config, "README.md": card, "model.safetensors": b"\0"})
        weights = repo.blob_for("model.safetensors")
        os.truncate(weights, int(weight_bytes))  # sparse: real size, no disk
        used = now - days * 86400 - 3600
        for blob in (repo.path / "blobs").iterdir():
            os.utime(blob, (used, used))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.democache",
        description="Build a realistic-looking Hugging Face cache (real configs, sparse weights) for "
                    "screenshots and manual runs.")
    parser.add_argument("folder", type=Path, help="the cache folder to build, e.g. /tmp/demo/hub "
                        "(then run the app with HF_HUB_CACHE set to it)")
    args = parser.parse_args(argv)
    build(args.folder)
    print(f"Built {len(MODELS)} models in {args.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
