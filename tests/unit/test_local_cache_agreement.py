"""Our scan agrees with huggingface_hub.scan_cache_dir on healthy caches, and survives any damage."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.services.local_cache import scan_first_pass, scan_full
from tests.cachebuilder import CacheBuilder, llama_config, model_files, populate_sample, qwen_config


def hf_view(root: Path) -> dict[str, tuple[str | set[str], dict[str, str], int, float, float]]:
    from huggingface_hub import scan_cache_dir

    info = scan_cache_dir(root)
    assert not info.warnings, info.warnings
    view = {}
    for repo in info.repos:
        if repo.repo_type != "model":
            continue
        refs = {name: (rev if isinstance(rev, str) else rev.commit_hash) for name, rev in repo.refs.items()}
        # Without refs/main we show the newest snapshot; any of the repo's revisions is a faithful answer.
        main = refs.pop("main", None) or {rev.commit_hash for rev in repo.revisions}
        view[repo.repo_id] = (main, refs, repo.size_on_disk, repo.last_modified, repo.last_accessed)
    return view


def our_view(root: Path) -> dict[str, tuple[str | None, dict[str, str], int, float, float]]:
    view = {}
    for m in scan_full(root):
        assert m.problem is None or m.problem.startswith(("download incomplete", "config.json is")), m.problem
        assert m.size_on_disk is not None and m.last_modified and m.last_accessed
        view[m.id] = (m.revision, dict(m.refs), m.size_on_disk, m.last_modified.timestamp(),
                      m.last_accessed.timestamp())
    return view


def assert_agree(root: Path) -> None:
    # Ours first: our first pass reads config.json, which may move its atime; scan_cache_dir reads nothing.
    ours = our_view(root)
    theirs = hf_view(root)
    assert sorted(ours) == sorted(theirs)
    for repo_id, (rev, refs, size, mtime, atime) in theirs.items():
        o_rev, o_refs, o_size, o_mtime, o_atime = ours[repo_id]
        assert (o_refs, o_size) == (refs, size), repo_id
        assert o_rev == rev if isinstance(rev, str) else o_rev in rev
        assert o_mtime == pytest.approx(mtime, abs=1e-5) and o_atime == pytest.approx(atime, abs=1e-5)


def test_agrees_with_scan_cache_dir(tmp_path: Path) -> None:
    cache = CacheBuilder(tmp_path / "hub")
    populate_sample(cache)
    cache.add_top_level_noise()
    for i in range(12):
        cache.add_model(f"org{i % 3}/model-{i}", model_files(i, weights_bytes=100 + i))
    shared = b"shared" * 50
    multi = cache.add_model("org/multi", {"config.json": qwen_config(), "a/b/c.safetensors": shared,
                                          "x.safetensors": shared})
    cache.add_revision(multi.id, {"config.json": qwen_config(bits=4), "x.safetensors": shared},
                       ref="refs/pr/2")
    cache.add_revision(multi.id, {"config.json": qwen_config(bits=8)}, ref="v1.0")
    cache.add_model("org/windows", {"config.json": llama_config(), "w.safetensors": b"w" * 77},
                    symlinks=False)
    cache.add_model("org/pinned", {"config.json": llama_config()}, ref=None)
    cache.add_model("org/dataset", repo_type="dataset")
    assert_agree(cache.root)


def test_agrees_with_scan_cache_dir_on_a_shared_blob_store(tmp_path: Path) -> None:
    cache = CacheBuilder(tmp_path / "hub", shared_store=True)
    weights = b"W" * 5000
    a = cache.add_model("org/a", {"config.json": qwen_config(bits=4), "model.safetensors": weights})
    cache.add_model("org/b", {"config.json": llama_config(), "model.safetensors": weights,
                              "extra.safetensors": b"e" * 10})
    assert os.path.islink(a.blob_for("model.safetensors"))  # the layout under test
    assert_agree(cache.root)
    models = {m.id: m for m in scan_full(cache.root)}
    assert models["org/a"].problem is None and models["org/a"].characteristics is not None
    assert models["org/a"].size_on_disk == len(weights) + len(a.files["config.json"])


FILE_NAMES = st.sampled_from(["config.json", "README.md", "model.safetensors", "sub/t.json", "a/b/c.bin",
                              "tokenizer.json"])
FILES = st.dictionaries(FILE_NAMES, st.binary(max_size=64), min_size=1, max_size=5)
REPO = st.tuples(st.from_regex(r"[a-z][a-z0-9]{0,5}/[A-Za-z0-9][A-Za-z0-9._-]{0,10}", fullmatch=True),
                 st.lists(FILES, min_size=1, max_size=3), st.booleans(), st.booleans())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(REPO, min_size=0, max_size=4, unique_by=lambda r: r[0].lower()))
def test_agrees_on_random_healthy_caches(repos: list[tuple[str, list[dict[str, bytes]], bool, bool]]) -> None:
    root = Path(tempfile.mkdtemp(prefix="agree-"))
    try:
        cache = CacheBuilder(root / "hub")
        for repo_id, revisions, symlinks, shared in repos:
            cache.shared_store = shared
            if "--" in repo_id or repo_id.endswith((".", "-")):
                continue
            cache.add_model(repo_id, revisions[0], symlinks=symlinks)
            for n, files in enumerate(revisions[1:]):
                cache.add_revision(repo_id, files, ref=f"refs/pr/{n + 1}")
        assert_agree(cache.root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


# Damage that a real cache can suffer; applied at random, the scan must list every repo and never raise.
DAMAGE = st.sampled_from([
    "rm_blob", "rm_snapshot", "snapshots_file", "refs_file", "garbage_ref", "ref_newline", "config_dir",
    "config_garbage", "rm_refs", "incomplete", "chmod_blob", "link_loop", "absolute_link_outside",
])


def damage(repo_path: Path, kind: str, outside: Path) -> None:
    snapshots = repo_path / "snapshots"
    snaps = sorted(p for p in snapshots.iterdir()) if snapshots.is_dir() else []
    blobs = sorted((repo_path / "blobs").glob("*"))
    if kind == "rm_blob" and blobs:
        blobs[0].unlink()
    elif kind == "rm_snapshot" and snaps:
        shutil.rmtree(snaps[0])
    elif kind == "snapshots_file" and snapshots.is_dir():
        shutil.rmtree(snapshots)
        snapshots.write_bytes(b"x")
    elif kind == "refs_file":
        shutil.rmtree(repo_path / "refs", ignore_errors=True)
        (repo_path / "refs").write_bytes(b"x")
    elif kind == "garbage_ref" and (repo_path / "refs").is_dir():
        (repo_path / "refs" / "main").write_bytes(b"\xff\x00/../..\n")
    elif kind == "ref_newline" and (repo_path / "refs" / "main").is_file():
        (repo_path / "refs" / "main").write_bytes((repo_path / "refs" / "main").read_bytes() + b"\n")
    elif kind in ("config_dir", "config_garbage") and snaps and snaps[0].is_dir():
        config = snaps[0] / "config.json"
        if config.is_symlink() or config.is_file():
            config.unlink()
        if kind == "config_dir":
            config.mkdir(exist_ok=True)
        elif not config.exists():
            config.write_bytes(b"\x00{{{")
    elif kind == "rm_refs":
        shutil.rmtree(repo_path / "refs", ignore_errors=True)
    elif kind == "incomplete" and (repo_path / "blobs").is_dir():
        (repo_path / "blobs" / "deadbeef.incomplete").write_bytes(b"part")
    elif kind == "chmod_blob" and blobs:
        blobs[-1].chmod(0)
    elif kind == "link_loop" and snaps and snaps[0].is_dir() and not (snaps[0] / "loop").is_symlink():
        os.symlink("loop", snaps[0] / "loop")
    elif kind == "absolute_link_outside" and snaps and snaps[0].is_dir():
        target = snaps[0] / "README.md"
        if target.is_symlink() or target.is_file():
            target.unlink()
        if not target.exists():
            os.symlink(outside, target)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(DAMAGE, max_size=3), min_size=1, max_size=4))
def test_any_damage_still_lists_every_repo(plan: list[list[str]]) -> None:
    root = Path(tempfile.mkdtemp(prefix="damage-"))
    try:
        outside = root / "secret-README.md"
        outside.write_text("---\nlibrary_name: mlx\n---\n")
        cache = CacheBuilder(root / "hub")
        ids = []
        for i, kinds in enumerate(plan):
            repo = cache.add_model(f"org/m{i}", model_files(i))
            cache.add_revision(repo.id, {"config.json": llama_config(context=1000 + i)}, ref="refs/pr/1")
            for kind in kinds:
                damage(repo.path, kind, outside)
            ids.append(repo.id)
        first = scan_first_pass(cache.root)
        full = scan_full(cache.root)
        assert [m.id for m in first] == [m.id for m in full] == sorted(ids)
        for model, kinds in zip(full, plan, strict=True):
            model.to_json_dict()
            if "absolute_link_outside" in kinds and (cache.root / "models--org--" / "x").parent:
                # The README now links to a planted file outside that says "MLX": it must not be read.
                assert model.mlx_signal != "library_name: mlx"
    finally:
        shutil.rmtree(root, ignore_errors=True)
