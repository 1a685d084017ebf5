"""Deleting models and cleaning up, checked against huggingface_hub's own `scan_cache_dir` before and after.

The caches are real layouts on disk (tests/cachebuilder.py): two revisions of one model sharing a blob,
a model downloaded by commit (only a detached revision: a complete model), partial downloads old and new.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from app.core.model_id import InvalidModelId
from app.services.cache_cleanup import (
    NothingToDelete,
    execute_cleanup,
    execute_deletion,
    plan_cleanup,
    plan_deletion,
)
from tests.cachebuilder import CacheBuilder, Repo

SHARED = b"W" * 50_000  # the same weights in both revisions: one blob
OLD_ONLY = b"O" * 7_000
KEEP = b"K" * 30_000
OLD = time.time() - 3600


def scan(root: Path):  # type: ignore[no-untyped-def]
    from huggingface_hub import scan_cache_dir

    return scan_cache_dir(root)


@pytest.fixture
def cache(tmp_path: Path) -> tuple[Path, Repo, str, Repo]:
    root = tmp_path / "hub"
    builder = CacheBuilder(root)
    two = builder.add_model("org/two-revs", {"config.json": {"model_type": "llama", "v": 2},
                                             "model.safetensors": SHARED})
    old_commit = builder.add_revision("org/two-revs", {"config.json": {"model_type": "llama", "v": 1},
                                                       "model.safetensors": SHARED, "extra.safetensors": OLD_ONLY})
    keep = builder.add_model("org/keep", {"config.json": {"model_type": "qwen3"}, "model.safetensors": KEEP})
    builder.add_model("org/by-commit", {"config.json": {"model_type": "gemma"}}, ref=None)
    builder.add_incomplete("org/keep", 2, size=4_000)
    for partial in (root / "models--org--keep" / "blobs").glob("*.incomplete"):
        os.utime(partial, (OLD, OLD))
    return root, two, old_commit, keep


def test_deleting_a_model_frees_what_scan_cache_dir_said(cache: tuple[Path, Repo, str, Repo]) -> None:
    root, two, _old, _keep = cache
    before = scan(root)
    plan = plan_deletion(["org/two-revs"], str(root))
    # Both revisions go; the shared blob is counted once.
    assert plan.expected_freed == two.blob_bytes == next(
        r for r in before.repos if r.repo_id == "org/two-revs").size_on_disk
    execute_deletion(plan)
    after = scan(root)
    assert {r.repo_id for r in after.repos} == {"org/keep", "org/by-commit"}
    assert before.size_on_disk - after.size_on_disk == plan.expected_freed
    assert not two.path.exists()


def test_several_models_and_a_missing_one(cache: tuple[Path, Repo, str, Repo]) -> None:
    root, two, _old, keep = cache
    plan = plan_deletion(["org/two-revs", "org/keep", "org/not-here"], str(root))
    assert plan.repo_ids == ("org/two-revs", "org/keep") and plan.missing == ("org/not-here",)
    assert plan.expected_freed == two.blob_bytes + keep.blob_bytes
    execute_deletion(plan)
    assert {r.repo_id for r in scan(root).repos} == {"org/by-commit"}
    with pytest.raises(NothingToDelete, match="org/not-here"):
        plan_deletion(["org/not-here"], str(root))


@pytest.mark.parametrize("bad", ["../etc", "/abs/path", "org/../../x", "org/name/extra", "org/na me", "org/a--b"])
def test_ids_that_could_escape_the_cache_are_refused(cache: tuple[Path, Repo, str, Repo], bad: str) -> None:
    root = cache[0]
    before = scan(root).size_on_disk
    with pytest.raises(InvalidModelId):
        plan_deletion([bad], str(root))
    assert scan(root).size_on_disk == before


def test_clean_up_removes_the_detached_revision_but_not_the_shared_blob(
        cache: tuple[Path, Repo, str, Repo]) -> None:
    root, two, old_commit, _keep = cache
    before = scan(root)
    plan = plan_cleanup(str(root))
    kinds = sorted((i.kind, i.repo_id) for i in plan.items)
    assert kinds == [("detached revision", "org/two-revs"), ("partial download", "org/keep"),
                     ("partial download", "org/keep")]
    detached = next(i for i in plan.items if i.kind == "detached revision")
    assert detached.revision == old_commit
    # Only what the old revision alone holds: its config and extra weights, not the shared weights.
    assert detached.size == len(OLD_ONLY) + _old_config_size(two, old_commit) < len(SHARED)
    assert plan.expected_freed == detached.size + 8_000

    execute_cleanup(plan)
    after = scan(root)
    repo = next(r for r in after.repos if r.repo_id == "org/two-revs")
    assert {rev.commit_hash for rev in repo.revisions} == {two.commit}
    assert (two.snapshot_dir / "model.safetensors").read_bytes() == SHARED  # the shared blob is still there
    assert after.incomplete_files == frozenset() and before.incomplete_size_on_disk == 8_000
    assert before.size_on_disk - after.size_on_disk == detached.size
    # Complete models are untouched, the one downloaded by commit (no ref) included.
    assert {r.repo_id for r in after.repos} == {"org/two-revs", "org/keep", "org/by-commit"}
    assert plan_cleanup(str(root)).items == ()


def _old_config_size(two: Repo, commit: str) -> int:
    return (two.snapshots_dir / commit / "config.json").stat().st_size


def test_recent_partial_files_and_busy_models_are_left_alone(cache: tuple[Path, Repo, str, Repo]) -> None:
    root, *_ = cache
    fresh = root / "models--org--by-commit" / "blobs" / ("a" * 64 + ".incomplete")
    fresh.write_bytes(b"\0" * 100)
    plan = plan_cleanup(str(root))
    assert all(i.path != str(fresh) for i in plan.items) and plan.skipped_busy == 1
    busy = plan_cleanup(str(root), busy_repos=["org/keep", "org/two-revs"])
    assert busy.items == () and busy.skipped_busy == 3
    execute_cleanup(plan)
    assert fresh.exists()


def test_a_partial_file_linked_outside_the_cache_is_not_followed(tmp_path: Path,
                                                                 cache: tuple[Path, Repo, str, Repo]) -> None:
    root, *_ = cache
    outside = tmp_path / "precious.incomplete"
    outside.write_bytes(b"keep me")
    link = root / "models--org--keep" / "blobs" / ("b" * 64 + ".incomplete")
    link.symlink_to(outside)
    os.utime(link, (OLD, OLD), follow_symlinks=False)
    execute_cleanup(plan_cleanup(str(root), now=time.time() + 3600))
    assert outside.read_bytes() == b"keep me"


def test_an_absent_cache_has_nothing_to_clean(tmp_path: Path) -> None:
    plan = plan_cleanup(str(tmp_path / "nowhere"))
    assert plan.items == () and plan.expected_freed == 0
    with pytest.raises(NothingToDelete):
        plan_deletion(["org/x"], str(tmp_path / "nowhere"))


def test_a_broken_model_huggingface_hub_cannot_read_can_still_be_deleted(
        tmp_path: Path, cache: tuple[Path, Repo, str, Repo]) -> None:
    root, _two, _old, keep = cache
    builder = CacheBuilder(root)
    broken = builder.add_model("org/broken", {"config.json": {"model_type": "llama"},
                                              "model.safetensors": b"X" * 12_000})
    broken.blob_for("config.json").unlink()  # a broken link: scan_cache_dir gives up on this repo
    assert "org/broken" not in {r.repo_id for r in scan(root).repos} and scan(root).warnings
    plan = plan_deletion(["org/broken", "org/keep"], str(root))
    assert plan.broken == ("org/broken",) and plan.repo_ids == ("org/broken", "org/keep")
    own = 12_000 + len(broken.commit)  # the weights' blob and refs/main
    assert plan.sizes["org/broken"] == own
    assert plan.expected_freed == own + keep.blob_bytes
    execute_deletion(plan)
    assert not broken.path.exists() and not keep.path.exists()
    assert {r.repo_id for r in scan(root).repos} == {"org/two-revs", "org/by-commit"}
