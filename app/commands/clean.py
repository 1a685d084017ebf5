"""`clean [--yes]`: free the space held by detached revisions and abandoned partial downloads.

Complete models are never touched: a detached revision is removed only when its model keeps a revision
that a ref (such as main) points to; a partial file younger than two minutes may belong to a download
still running, so it is left alone. On a terminal it asks; without one it refuses unless `--yes`.
Exit codes: 0 cleaned, declined or nothing to do; 2 no terminal to confirm on and no --yes.
"""

from __future__ import annotations

import argparse

from app.commands.confirm import refused
from app.core import formatting


def run(args: argparse.Namespace) -> int:
    from app.services.cache_cleanup import execute_cleanup, plan_cleanup

    plan = plan_cleanup()
    if plan.skipped_busy:
        print(f"{plan.skipped_busy} partial file(s) changed in the last minutes are left alone "
              "(a download may still be writing them).")
    if not plan.items:
        print(f"Nothing to clean in {plan.cache_dir}.")
        return 0
    for item in plan.items:
        what = f"{item.kind} {item.revision[:12]}" if item.revision else item.kind
        print(f"  {item.repo_id}  {what}  {formatting.size(item.size)}")
    freed = formatting.size(plan.expected_freed)
    stop = refused(f"Remove {len(plan.items)} item(s) and free {freed}?", yes=args.yes, verb="cleaning",
                   nothing="Nothing removed.")
    if stop is not None:
        return stop
    execute_cleanup(plan)
    print(f"Cleaned up; freed {freed}.")
    return 0
