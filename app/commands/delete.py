"""`delete ORG/NAME… [--yes]`: remove models from the Hugging Face cache, after saying what it frees.

The space shown is what huggingface_hub will actually free (a blob shared with a model that stays is
neither counted nor deleted). On a terminal it asks; without one it refuses unless `--yes` is given.
Exit codes: 0 deleted (or declined); 1 none of the models is in the cache; 2 an invalid id, or no terminal
to confirm on and no --yes.
"""

from __future__ import annotations

import argparse

from app.commands.confirm import refused
from app.commands.output import fail
from app.core import formatting
from app.core.model_id import InvalidModelId, validate_model_id


def run(args: argparse.Namespace) -> int:
    try:
        ids = [validate_model_id(m) for m in args.models]
    except InvalidModelId as exc:
        return fail(f"invalid model id: {exc}", code=2)
    from app.services.cache_cleanup import NothingToDelete, execute_deletion, plan_deletion

    try:
        plan = plan_deletion(ids)
    except NothingToDelete as exc:
        return fail(str(exc), code=1)
    for repo_id in plan.repo_ids:
        print(f"  {repo_id}  {formatting.size(plan.sizes[repo_id])}")
    for repo_id in plan.missing:
        print(f"  {repo_id}  not in the cache, skipped")
    count = len(plan.repo_ids)
    models = f"{count} model{'s' if count != 1 else ''}"
    freed = formatting.size(plan.expected_freed)
    stop = refused(f"Delete {models} and free {freed}?", yes=args.yes, verb="deleting", nothing="Nothing deleted.")
    if stop is not None:
        return stop
    execute_deletion(plan)
    print(f"Deleted {models}; freed {freed}.")
    return 0
