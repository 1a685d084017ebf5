"""The cache signature sees a config.json edited in place, however the editor saved it, and stays put when
nothing changed."""

from __future__ import annotations

import json
import os
from pathlib import Path

from app.services.local_cache import cache_signature, config_stats
from tests.cachebuilder import CacheBuilder, llama_config


def test_an_edit_through_the_link_changes_the_signature(tmp_path: Path) -> None:
    cache = CacheBuilder(tmp_path / "hub")
    repo = cache.add_model("org/a", {"config.json": llama_config()})
    cache.add_model("org/b", {"config.json": llama_config(bits=4)})
    before = cache_signature(cache.root)
    assert cache_signature(cache.root) == before  # nothing changed, nothing seen
    link = repo.snapshot_file("config.json")
    assert link.is_symlink()
    folders = {p: os.stat(p).st_mtime_ns for p in (repo.path, repo.snapshots_dir, repo.blobs_dir)}
    link.write_text(json.dumps(llama_config(context=32768)))  # written through the link into the blob
    assert {p: os.stat(p).st_mtime_ns for p in folders} == folders  # no folder the old signature read moved
    assert cache_signature(cache.root) != before


def test_same_size_edit_and_a_replaced_file_are_seen(tmp_path: Path) -> None:
    cache = CacheBuilder(tmp_path / "hub")
    repo = cache.add_model("org/a", {"config.json": llama_config()})
    link = repo.snapshot_file("config.json")
    before = cache_signature(cache.root)
    blob = link.resolve()
    os.utime(blob, ns=(blob.stat().st_atime_ns, blob.stat().st_mtime_ns + 1_000_000_000))  # same size, later
    touched = cache_signature(cache.root)
    assert touched != before
    # An editor that saves by writing a new file and renaming it over the link.
    fresh = link.parent / ".config.json.swp"
    fresh.write_text('{"model_type": "llama", "max_position_embeddings": 2048}')
    snapshots_mtime = os.stat(repo.snapshots_dir).st_mtime_ns
    os.replace(fresh, link)
    assert os.stat(repo.snapshots_dir).st_mtime_ns == snapshots_mtime  # only snapshots/<rev>/ moved
    assert not link.is_symlink()
    assert cache_signature(cache.root) != touched


def test_config_stats_of_missing_and_odd_snapshots(tmp_path: Path) -> None:
    cache = CacheBuilder(tmp_path / "hub")
    repo = cache.add_model("org/a", {"README.md": "no config here"})
    assert config_stats(str(repo.snapshots_dir)) == ((repo.commit, -1, -1),)
    assert config_stats(str(tmp_path / "nowhere")) == ()
    cache.add_revision("org/a", {"config.json": llama_config()}, commit="b" * 40)
    stats = config_stats(str(repo.snapshots_dir))
    assert [rev for rev, _, _ in stats] == sorted([repo.commit, "b" * 40])
    assert any(size > 0 for _, _, size in stats)
