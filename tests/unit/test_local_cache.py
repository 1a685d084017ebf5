"""The local cache scan on real cache layouts built on disk: healthy repos, and each kind of damage."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.core.config_parse import MAX_CONFIG_BYTES
from app.core.model_entry import ConfigStatus, Source, Tier
from app.services import local_cache
from app.services.local_cache import (
    JSON_KEYS,
    LocalModel,
    cache_signature,
    default_cache_dir,
    fill_sizes,
    fill_sizes_async,
    scan_first_pass,
    scan_first_pass_async,
    scan_full,
)
from tests.cachebuilder import (
    CacheBuilder,
    Repo,
    folder_name,
    llama_config,
    populate_sample,
    qwen_config,
    readme,
    vlm_config,
)

COMMIT_MISSING = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def cache(tmp_path: Path) -> CacheBuilder:
    return CacheBuilder(tmp_path / "hub")


def by_id(models: list[LocalModel]) -> dict[str, LocalModel]:
    return {m.id: m for m in models}


def one(cache: CacheBuilder) -> LocalModel:
    models = scan_full(cache.root)
    assert len(models) == 1, [m.id for m in models]
    return models[0]


# --- healthy caches ---------------------------------------------------------------------------------


def test_sample_cache_lists_every_model_with_its_facts(cache: CacheBuilder) -> None:
    repos = {r.id: r for r in populate_sample(cache)}
    cache.add_top_level_noise()
    cache.add_model("squad", {"data.json": b"{}"}, repo_type="dataset")
    models = scan_full(cache.root)
    assert [m.id for m in models] == sorted(repos, key=str.lower)
    found = by_id(models)
    qwen = found["mlx-community/Qwen3-8B-4bit"]
    assert qwen.revision == repos[qwen.id].commit
    assert qwen.snapshot_path == str(repos[qwen.id].snapshot_dir)
    assert qwen.size_on_disk == repos[qwen.id].blob_bytes
    assert qwen.is_mlx and qwen.mlx_signal == "config quantization"
    assert qwen.characteristics is not None and qwen.characteristics.bits_label == "4-bit"
    assert qwen.problem is None and not qwen.incomplete
    llama = found["meta-llama/Llama-3.1-8B-Instruct"]
    assert not llama.is_mlx and llama.mlx_signal is None
    assert set(llama.refs) == {"refs/pr/1"} and llama.refs["refs/pr/1"] != llama.revision
    vl = found["mlx-community/Qwen2.5-VL-7B-Instruct-4bit"]
    assert vl.characteristics is not None and vl.characteristics.is_multimodal
    gemma = found["mlx-community/gemma-3-4b-it-4bit"]
    assert gemma.incomplete and gemma.problem == "download incomplete: 2 files still downloading"


def test_first_pass_leaves_sizes_for_later_and_fill_sizes_adds_them(cache: CacheBuilder) -> None:
    files = {"config.json": qwen_config(bits=4), "w.safetensors": b"1" * 999}
    repo = cache.add_model("mlx-community/x-4bit", files)
    cache.add_incomplete(repo.id, 1)
    first = scan_first_pass(cache.root)
    assert first[0].size_on_disk is None and first[0].last_modified is None and not first[0].sizes_known
    assert first[0].characteristics is not None  # the card can paint its badges before sizes arrive
    filled = fill_sizes(first)
    assert filled[0].size_on_disk == repo.blob_bytes and filled[0].sizes_known
    assert filled[0].incomplete
    # Filling again (a rescan of sizes) does not repeat problems.
    again = fill_sizes(filled)
    assert again[0].problem == filled[0].problem == "download incomplete: 1 file still downloading"


def test_a_rescan_sees_a_config_edited_in_place(cache: CacheBuilder) -> None:
    repo = cache.add_model("org/edited", {"config.json": qwen_config(bits=4), "README.md": readme()})
    assert scan_first_pass(cache.root)[0].characteristics.bits_label == "4-bit"  # type: ignore[union-attr]
    # Editing snapshots/<c>/config.json writes through the link into the blob: same path, same size here.
    blob = repo.blob_for("config.json")
    blob.write_bytes(blob.read_bytes().replace(b'"bits": 4', b'"bits": 8'))
    os.utime(blob, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    assert scan_first_pass(cache.root)[0].characteristics.bits_label == "8-bit"  # type: ignore[union-attr]
    readme_blob = repo.blob_for("README.md")
    readme_blob.write_text(readme(library_name="mlx"))
    assert scan_first_pass(cache.root)[0].mlx_signal == "config quantization"
    blob.write_bytes(json.dumps(llama_config()).encode())
    assert scan_first_pass(cache.root)[0].mlx_signal == "library_name: mlx"


def test_async_helpers_run_in_a_worker_thread(cache: CacheBuilder) -> None:
    repo = cache.add_model("org/m", {"config.json": llama_config()})

    async def both() -> list[LocalModel]:
        first = await scan_first_pass_async(cache.root)
        return await fill_sizes_async(first)

    models = asyncio.run(both())
    assert models[0].size_on_disk == repo.blob_bytes


def test_size_counts_unique_blobs_across_revisions_and_nested_paths(cache: CacheBuilder) -> None:
    shared = b"same weights" * 100
    repo = cache.add_model("org/multi", {"config.json": llama_config(), "a.safetensors": shared,
                                         "sub/dir/b.safetensors": shared, "sub/c.txt": b"ccc"})
    pr = cache.add_revision(repo.id, {"config.json": llama_config(context=4096), "a.safetensors": shared},
                            ref="refs/pr/7")
    model = one(cache)
    config_blobs = {len(json.dumps(c, indent=2)) for c in (llama_config(), llama_config(context=4096))}
    assert model.size_on_disk == len(shared) + 3 + sum(config_blobs) == repo.blob_bytes
    assert model.refs == {"refs/pr/7": pr}
    assert model.revision == repo.commit


def test_windows_style_copies_count_themselves(cache: CacheBuilder) -> None:
    repo = cache.add_model("org/copied", {"config.json": vlm_config(bits=4), "w.safetensors": b"x" * 500},
                           symlinks=False)
    assert not os.path.islink(repo.snapshot_file("config.json"))
    model = one(cache)
    assert model.problem is None
    assert model.size_on_disk == repo.blob_bytes
    assert model.characteristics is not None and model.characteristics.is_multimodal


def test_times_are_the_newest_blob_times_in_utc(cache: CacheBuilder) -> None:
    cache.add_model("org/old", {"config.json": llama_config(), "w.safetensors": b"w"}, mtime=1_600_000_000)
    model = one(cache)
    assert model.last_modified == datetime.fromtimestamp(1_600_000_000, tz=UTC)
    assert model.last_accessed is not None and model.last_accessed.tzinfo is not None
    assert model.to_json_dict()["last_modified"] == "2020-09-13T12:26:40+00:00"


def test_refs_main_with_a_trailing_newline_is_accepted(cache: CacheBuilder) -> None:
    repo = cache.add_model("org/newline", {"config.json": llama_config()})
    cache.write_ref(repo.id, "main", repo.commit, newline=True)
    model = one(cache)
    assert model.revision == repo.commit and model.problem is None and model.characteristics is not None


def test_without_refs_main_the_newest_snapshot_is_shown(cache: CacheBuilder) -> None:
    repo = cache.add_model("org/pinned", {"config.json": llama_config(context=1024)}, ref=None)
    newer = cache.add_revision(repo.id, {"config.json": llama_config(context=2048)})
    os.utime(repo.snapshot_dir, (1_000_000, 1_000_000))
    os.utime(repo.snapshots_dir / newer, (2_000_000, 2_000_000))
    model = one(cache)
    assert model.revision == newer and model.problem is None
    assert model.characteristics is not None and model.characteristics.max_position_embeddings == 2048


@pytest.mark.parametrize(
    ("repo_id", "files", "signal"),
    [
        ("someone/plain", {"config.json": llama_config(), "README.md": readme(library_name="mlx")},
         "library_name: mlx"),
        ("someone/tagged", {"config.json": llama_config(), "README.md": readme(tags=("text", "mlx"))},
         "mlx tag"),
        ("mlx-community/Llama-3-bf16", {"config.json": llama_config()}, "publisher"),
        ("lmstudio-community/Qwen3-8B-MLX-8bit", {"config.json": llama_config()}, "publisher"),
        ("someone/model-mlx", {"config.json": llama_config()}, "publisher"),
        ("someone/quantized", {"config.json": llama_config(bits=3)}, "config quantization"),
        ("meta-llama/Llama-3-8B", {"config.json": llama_config(), "README.md": readme(tags=("llama",))},
         None),
    ],
)
def test_mlx_signal(cache: CacheBuilder, repo_id: str, files: dict[str, object], signal: str | None) -> None:
    cache.add_model(repo_id, files)  # type: ignore[arg-type]
    model = scan_first_pass(cache.root)[0]
    assert model.mlx_signal == signal
    assert model.is_mlx is (signal is not None)


def test_only_model_repos_are_listed(cache: CacheBuilder) -> None:
    cache.add_model("org/model")
    cache.add_model("org/data", repo_type="dataset")
    cache.add_model("org/space", repo_type="space")
    cache.add_model("org/kern", repo_type="kernel")
    cache.add_top_level_noise()
    (cache.root / "stray.txt").write_text("x")
    assert [m.id for m in scan_full(cache.root)] == ["org/model"]


def test_missing_cache_or_a_file_is_an_empty_list(tmp_path: Path) -> None:
    assert scan_full(tmp_path / "nowhere") == []
    (tmp_path / "file").write_text("x")
    assert scan_full(tmp_path / "file") == []


def test_json_dict_has_exactly_the_documented_keys(cache: CacheBuilder) -> None:
    populate_sample(cache)
    for model in scan_full(cache.root):
        data = model.to_json_dict()
        assert tuple(data) == JSON_KEYS
        json.dumps(data, allow_nan=False)


# --- broken caches: every repo still appears, with a problem in words -----------------------------


def test_ref_to_a_missing_snapshot(cache: CacheBuilder) -> None:
    repo = cache.add_model("org/dangling", {"config.json": llama_config()})
    cache.write_ref(repo.id, "main", COMMIT_MISSING)
    model = one(cache)
    assert model.problem == "refs/main points to commit 0123456789ab… which is not in snapshots/"
    assert model.revision == COMMIT_MISSING and model.snapshot_path is None and model.characteristics is None
    assert model.size_on_disk == repo.blob_bytes  # the orphaned snapshot still takes space


def test_broken_symlinks(cache: CacheBuilder) -> None:
    repo = cache.add_model("org/broken", {"config.json": llama_config(), "a.safetensors": b"a" * 10,
                                          "b.safetensors": b"b" * 20})
    repo.blob_for("a.safetensors").unlink()
    repo.blob_for("config.json").unlink()
    model = one(cache)
    assert model.characteristics is None
    assert model.problem is not None
    assert "config.json is a broken link: its blob is missing from blobs/" in model.problem
    assert "2 files in snapshots/ are broken links (blob missing from blobs/)" in model.problem
    assert model.size_on_disk == 20


def test_snapshots_that_is_a_file(cache: CacheBuilder) -> None:
    repo = cache.add_model("org/flat")
    for path in sorted(repo.snapshots_dir.rglob("*"), reverse=True):
        path.unlink() if not path.is_dir() or path.is_symlink() else path.rmdir()
    repo.snapshots_dir.rmdir()
    repo.snapshots_dir.write_text("oops")
    model = one(cache)
    assert model.problem == "snapshots/ is a file, not a folder"
    assert model.size_on_disk == 0


def test_no_snapshot_at_all(cache: CacheBuilder) -> None:
    empty = cache.root / folder_name("org/empty")
    (empty / "snapshots").mkdir(parents=True)
    bare = cache.root / folder_name("org/bare")
    (bare / "blobs").mkdir(parents=True)
    found = by_id(scan_full(cache.root))
    assert found["org/empty"].problem == "no snapshot downloaded (snapshots/ is empty)"
    assert found["org/bare"].problem == "no snapshots/ folder: nothing of this model has been downloaded"
    assert found["org/bare"].revision is None and found["org/bare"].size_on_disk == 0


def test_repo_folder_that_is_a_file(cache: CacheBuilder) -> None:
    (cache.root / "models--org--file").write_text("x")
    model = one(cache)
    assert model.id == "org/file" and model.problem == "models--org--file is a file, not a folder"
    assert model.size_on_disk is None


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{not json", "config.json is not valid JSON (Expecting property name enclosed in double quotes "
                       "at line 1, column 2)"),
        (b"[1, 2]", "config.json is not a JSON object (top level is an array)"),
        (b"", "config.json is empty"),
        (b"\xff\xfe{}", "config.json is not UTF-8 text (byte 0)"),
    ],
)
def test_bad_config(cache: CacheBuilder, content: bytes, problem: str) -> None:
    cache.add_model("org/bad", {"config.json": content, "README.md": readme(library_name="mlx")})
    model = one(cache)
    assert model.problem == problem
    assert model.characteristics is None and model.config_error is not None
    assert model.mlx_signal == "library_name: mlx"  # the rest of what can be known is still known


def test_config_too_large_is_not_read(cache: CacheBuilder) -> None:
    cache.add_model("org/huge", {"config.json": b" " * (MAX_CONFIG_BYTES + 1)})
    model = one(cache)
    assert model.problem is not None and model.problem.startswith("config.json is too large (2,097,153 bytes")


def test_config_that_is_a_folder(cache: CacheBuilder) -> None:
    repo = cache.add_model("org/dir", {"README.md": readme()})
    (repo.snapshot_dir / "config.json").mkdir()
    (repo.snapshot_dir / "config.json" / "x").write_text("{}")
    model = one(cache)
    assert model.problem == "config.json is a folder, not a file"


def test_missing_config_is_not_a_problem_of_the_cache(cache: CacheBuilder) -> None:
    cache.add_model("org/gguf-only", {"model.gguf": b"GGUF"})
    model = one(cache)
    assert model.problem is None and model.characteristics is None
    assert model.config_error == "no config.json in the snapshot"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_in_place_of_a_config_does_not_hang(cache: CacheBuilder) -> None:
    repo = cache.add_model("org/fifo", {"README.md": readme()})
    os.mkfifo(repo.blobs_dir / "fifo")
    os.symlink("../../blobs/fifo", repo.snapshot_dir / "config.json")
    model = one(cache)  # would block forever on open() without O_NONBLOCK
    assert model.problem == "config.json is not a regular file"


def test_non_utf8_folder_name(cache: CacheBuilder) -> None:
    root = os.fsencode(cache.root)
    repo = root + b"/models--org--caf\xe9"
    os.makedirs(repo + b"/snapshots/" + COMMIT_MISSING.encode())
    os.makedirs(repo + b"/refs")
    with open(repo + b"/refs/main", "wb") as handle:
        handle.write(COMMIT_MISSING.encode())
    with open(repo + b"/snapshots/" + COMMIT_MISSING.encode() + b"/config.json", "wb") as handle:
        handle.write(json.dumps(llama_config()).encode())
    model = one(cache)
    assert model.id == "org/caf\ufffd"
    assert model.problem == "the folder name is not valid UTF-8 (bad bytes are shown as \ufffd)"
    assert model.characteristics is not None  # still read through the real (bytes) path
    json.dumps(model.to_json_dict(), ensure_ascii=False).encode("utf-8")


def test_ref_that_tries_to_climb_out(cache: CacheBuilder) -> None:
    repo = cache.add_model("org/climb")
    cache.write_ref(repo.id, "main", "../../../../etc")
    model = one(cache)
    assert model.problem is not None and "refs/main does not hold a commit hash" in model.problem


def test_refs_that_is_a_file(cache: CacheBuilder) -> None:
    repo = cache.add_model("org/reffile", ref=None)
    repo.refs_dir.rmdir()
    repo.refs_dir.write_text(repo.commit)
    model = one(cache)
    assert model.problem == "refs/ is a file, not a folder"
    assert model.revision == repo.commit  # the only snapshot is still shown


# --- nothing outside the cache is read or followed -------------------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(llama_config(bits=4)))
    (folder / "weights.safetensors").write_bytes(b"o" * 12345)
    return folder


def test_config_linking_outside_is_not_read(cache: CacheBuilder, outside: Path) -> None:
    repo = cache.add_model("org/escape", {"README.md": readme()})
    os.symlink(outside / "config.json", repo.snapshot_dir / "config.json")
    os.symlink("../../../../outside/weights.safetensors", repo.snapshot_dir / "w.safetensors")
    model = one(cache)
    assert model.characteristics is None and not model.is_mlx
    assert model.problem is not None
    assert f"config.json links to {outside / 'config.json'}, outside the cache; not followed" in model.problem
    assert "2 files link outside the cache" in model.problem
    assert model.size_on_disk == len(repo.files["README.md"])


def test_repo_folder_linking_outside_is_not_followed(cache: CacheBuilder, tmp_path: Path) -> None:
    elsewhere = CacheBuilder(tmp_path / "elsewhere")
    real = elsewhere.add_model("org/external", {"config.json": llama_config(bits=4)})
    os.symlink(real.path, cache.root / folder_name("org/external"))
    model = one(cache)
    assert model.problem == f"the repo folder is a link to {real.path}, outside the cache; not followed"
    assert model.characteristics is None and model.size_on_disk is None


def test_snapshot_linking_outside_is_not_followed(cache: CacheBuilder, outside: Path) -> None:
    repo = cache.add_model("org/snaplink", ref=None)
    os.symlink(outside, repo.snapshots_dir / COMMIT_MISSING)
    cache.write_ref(repo.id, "main", COMMIT_MISSING)
    model = one(cache)
    assert model.problem is not None
    assert model.problem.startswith("snapshot 0123456789ab… is a link to")
    assert model.characteristics is None


def test_blobs_folder_linking_outside_is_not_followed(cache: CacheBuilder, tmp_path: Path) -> None:
    repo = cache.add_model("org/blobs-out", {"config.json": llama_config(bits=4), "w.safetensors": b"w" * 99})
    moved = tmp_path / "moved-blobs"
    shutil.move(repo.blobs_dir, moved)
    os.symlink(moved, repo.blobs_dir)
    model = one(cache)
    assert model.characteristics is None and model.mlx_signal is None
    assert model.problem is not None
    assert model.problem.startswith(f"blobs/ is a link to {moved}, outside the cache; not followed")
    assert "2 files link outside the cache" in model.problem
    assert model.size_on_disk == 0


def test_a_cache_behind_a_link_is_inside_itself(tmp_path: Path) -> None:
    real = CacheBuilder(tmp_path / "disk" / "hub")
    repo = real.add_model("org/m", {"config.json": llama_config()})
    os.symlink(real.root, tmp_path / "hub-link")
    model = scan_full(tmp_path / "hub-link")[0]
    assert model.problem is None and model.size_on_disk == repo.blob_bytes


# --- unreadable folders ----------------------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads everything")
def test_unreadable_repo_folder_chmod(cache: CacheBuilder) -> None:
    repo = cache.add_model("org/locked")
    repo.path.chmod(0)
    try:
        model = one(cache)
    finally:
        repo.path.chmod(0o755)
    assert model.problem == "the repo folder cannot be read (permission denied)"


def test_unreadable_repo_folder(cache: CacheBuilder, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = cache.add_model("org/locked")
    cache.add_model("org/fine")
    real_lstat = os.lstat

    def lstat(path: str, *args: object, **kwargs: object) -> os.stat_result:
        if str(path).startswith(str(repo.path) + os.sep):
            raise PermissionError(13, "Permission denied", path)
        return real_lstat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(local_cache.os, "lstat", lstat)
    found = by_id(scan_full(cache.root))
    assert found["org/locked"].problem == "the repo folder cannot be read (permission denied)"
    assert found["org/fine"].problem is None


# --- the cache location and change detection -------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"HF_HUB_CACHE": "/a/hub", "HUGGINGFACE_HUB_CACHE": "/b", "HF_HOME": "/c"}, "/a/hub"),
        ({"HUGGINGFACE_HUB_CACHE": "/b/hub", "HF_HOME": "/c"}, "/b/hub"),
        ({"HF_HOME": "/c", "XDG_CACHE_HOME": "/x"}, "/c/hub"),
        ({"XDG_CACHE_HOME": "/x"}, "/x/huggingface/hub"),
        ({}, os.path.expanduser("~/.cache/huggingface/hub")),
        ({"HF_HOME": "~/hfhome"}, os.path.expanduser("~/hfhome/hub")),
    ],
)
def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str) -> None:
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert default_cache_dir() == expected


def test_default_cache_dir_agrees_with_huggingface_hub(tmp_path: Path) -> None:
    code = (
        "import json; from app.services.local_cache import default_cache_dir; "
        "from huggingface_hub import constants; "
        "print(json.dumps([default_cache_dir(), constants.HF_HUB_CACHE]))"
    )
    cases = [
        {"HF_HOME": str(tmp_path / "home")},
        {"XDG_CACHE_HOME": str(tmp_path / "xdg")},
        {"HUGGINGFACE_HUB_CACHE": str(tmp_path / "legacy"), "HF_HOME": str(tmp_path / "home")},
        {"HF_HUB_CACHE": "$MLXM_TEST_ROOT/hub", "MLXM_TEST_ROOT": str(tmp_path)},
        {"XDG_CACHE_HOME": ""},  # set but empty still counts as set
        {},
    ]
    base = {k: v for k, v in os.environ.items()
            if k not in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME")}
    for env in cases:
        out = subprocess.run([sys.executable, "-c", code], env={**base, **env}, capture_output=True,
                             text=True, check=True, cwd=Path(__file__).resolve().parents[2], timeout=60)
        ours, theirs = json.loads(out.stdout)
        assert ours == theirs, env


def test_cache_signature_notices_changes(cache: CacheBuilder) -> None:
    repo: Repo = cache.add_model("org/a", {"config.json": llama_config()})
    before = cache_signature(cache.root)
    assert cache_signature(cache.root) == before
    # refs/main re-pointed in place (huggingface_hub rewrites the file): its mtime moves.
    commit = cache.add_revision(repo.id, {"config.json": llama_config(context=2048)})
    os.utime(repo.snapshots_dir, (1, 1))
    sig_new_snapshot = cache_signature(cache.root)
    assert sig_new_snapshot != before
    ref = cache.write_ref(repo.id, "main", commit)
    os.utime(ref, (2, 2))
    assert cache_signature(cache.root) != sig_new_snapshot
    settled = cache_signature(cache.root)
    # A finished download renames a blob into blobs/.
    (repo.blobs_dir / "abc.incomplete").write_bytes(b"x")
    os.utime(repo.blobs_dir, (3, 3))
    assert cache_signature(cache.root) != settled
    settled = cache_signature(cache.root)
    cache.add_model("org/b")
    assert cache_signature(cache.root) != settled
    assert cache_signature(cache.root / "missing") == ("missing", str(cache.root / "missing"))


def test_model_entry_for_the_cards(cache: CacheBuilder) -> None:
    cache.add_model("mlx-community/Qwen3-8B-4bit", {"config.json": qwen_config(bits=4)})
    cache.add_model("org/bad", {"config.json": b"nope"})
    good, bad = (m.to_model_entry() for m in scan_full(cache.root))
    assert good.source is Source.LOCAL and good.config_status is ConfigStatus.OK and good.is_mlx
    assert good.tier_of("quantization_bits") is Tier.CONFIG and good.tier_of("sliding_window") is None
    assert good.size_on_disk is not None and good.problem is None
    assert bad.config_status is ConfigStatus.UNAVAILABLE and bad.characteristics is None
    assert bad.config_error is not None and bad.config_error.startswith("not valid JSON")


@pytest.mark.skipif(not hasattr(os, "O_NOATIME"), reason="the OS has no O_NOATIME")
def test_scanning_does_not_make_models_look_recently_used(cache: CacheBuilder) -> None:
    repo = cache.add_model("org/model", {"config.json": {"model_type": "llama"}, "README.md": "---\n---\n"})
    weeks_ago = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
    for blob in (repo.path / "blobs").iterdir():
        os.utime(blob, (weeks_ago, weeks_ago))
    local_cache.clear_memo(lasting=True)
    for _ in range(2):
        scanned = scan_full(cache.root)[0]
    assert scanned.characteristics is not None  # the config was read...
    assert scanned.last_accessed == datetime(2025, 1, 1, tzinfo=UTC)  # ...without touching its access time
