"""`--self-test [--json]`: prove that every run-time part of this program starts, from source or from the bundle.

Each check is a small function in `checks` that returns a sentence on success and raises on failure; the
runner in `runner` times them, prints each part (text or JSON) and exits non-zero naming what failed. The
checks run against a throw-away Hugging Face cache and store in a temp folder (`sample_cache`), so the
person's own cache, store and settings are neither read nor changed, and nothing goes to the network.
"""

from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    from app.self_test.runner import run_self_test

    return run_self_test(as_json=bool(getattr(args, "self_test_json", False)))
