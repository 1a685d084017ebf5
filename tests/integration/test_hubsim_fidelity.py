"""Fidelity of the Hub simulator, judged by huggingface_hub's own client (listing, info, downloads, errors).

huggingface_hub reads HF_ENDPOINT at import, so it runs in a subprocess pointed at the simulator; the checks
are batched into one script to pay the import once.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.hubsim import Fault, HubSim, SimModel, git_sha1

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "hf_fidelitytoken"

CONFIG = json.dumps({"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_size": 64,
                     "quantization": {"group_size": 64, "bits": 4}}).encode()


def real_safetensors() -> bytes:
    """BF16[4,8] + U32[4,2] with real data: huggingface_hub counts {'BF16': 32, 'U32': 8}."""
    header = {"w": {"dtype": "BF16", "shape": [4, 8], "data_offsets": [0, 64]},
              "q": {"dtype": "U32", "shape": [4, 2], "data_offsets": [64, 96]}}
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + bytes(range(96))


BIG = os.urandom(1_500_000)  # over 1 MB: LFS and served from the CDN


# One script, many checks: each result is recorded by name so a failure names the check that broke.
SCRIPT = r'''
import json, os, sys, time
args = json.loads(sys.argv[1])
from huggingface_hub import HfApi, hf_hub_download, snapshot_download
from huggingface_hub.errors import (GatedRepoError, RepositoryNotFoundError, EntryNotFoundError,
                                    RevisionNotFoundError)
api = HfApi()
out = {}

def record(name, fn):
    try:
        out[name] = {"ok": fn()}
    except Exception as exc:  # the class names are what the assertions look at
        out[name] = {"error": type(exc).__name__, "mro": [c.__name__ for c in type(exc).__mro__],
                     "message": str(exc)[:500]}

def listing():
    models = list(api.list_models(filter="mlx", search="fidel", sort="downloads", limit=5,
                                  expand=["downloads", "safetensors", "config", "gated"]))
    return [{"id": m.id, "downloads": m.downloads, "likes": m.likes, "gated": m.gated,
             "total": m.safetensors.total if m.safetensors else None,
             "config": m.config} for m in models]
record("list", listing)

def full_listing():
    models = list(api.list_models(author="mlx-community", full=True, limit=2))
    return [{"id": m.id, "sha": m.sha, "siblings": [s.rfilename for s in m.siblings or []],
             "created": m.created_at.isoformat()} for m in models]
record("list_full", full_listing)

def info():
    m = api.model_info("org/fid", files_metadata=True)
    return {"sha": m.sha, "siblings": {s.rfilename: [s.size, s.blob_id, s.lfs.sha256 if s.lfs else None]
                                       for s in m.siblings}}
record("info", info)
record("info_pr", lambda: api.model_info("org/fid", revision="refs/pr/1").sha)

def download_config():
    path = hf_hub_download("org/fid", "config.json")
    return {"path": path, "content": open(path, "rb").read().decode(), "real": os.path.realpath(path),
            "link": os.readlink(path)}
record("config", download_config)
record("config_cached", lambda: hf_hub_download("org/fidcache", "config.json"))

def download_big():
    path = hf_hub_download("org/fid", "big.safetensors", token=args["token"])
    import hashlib
    return hashlib.sha256(open(path, "rb").read()).hexdigest()
record("big", download_big)

def snapshot():
    root = snapshot_download("org/snap")
    files = {}
    for dirpath, _, names in os.walk(root):
        for n in names:
            p = os.path.join(dirpath, n)
            files[os.path.relpath(p, root)] = open(p, "rb").read().decode("latin-1")
    return files
record("snapshot", snapshot)

def st_meta(repo):
    meta = api.get_safetensors_metadata(repo)
    return {"counts": meta.parameter_count, "sharded": meta.sharded}
record("st_single", lambda: st_meta("org/fid"))
record("st_sharded", lambda: st_meta(args["sharded"]))

record("gated_anon", lambda: hf_hub_download("org/gated", "config.json"))
record("gated_denied", lambda: hf_hub_download("org/gated", "config.json", token=args["token"]))
record("gated_ok", lambda: open(hf_hub_download("org/gated", "config.json", token=args["approved"])).read())
record("missing_repo", lambda: api.model_info("nobody/nothing"))
record("missing_repo_dl", lambda: hf_hub_download("nobody/nothing", "config.json"))
record("missing_file", lambda: hf_hub_download("org/fid", "nope.json"))
record("missing_rev", lambda: hf_hub_download("org/fid", "config.json", revision="nope"))
record("renamed", lambda: open(hf_hub_download("old/fid", "config.json")).read())

def retried():
    start = time.monotonic()
    models = list(api.list_models(search="org/fid", limit=3))
    return {"ids": [m.id for m in models], "seconds": time.monotonic() - start}
record("retry_429", retried)  # the parent arms a 429 with t=1 for this search
record("retry_503", lambda: [m.id for m in api.list_models(search="org/snap")])  # and a 503 for this one

record("repo_exists", lambda: [api.repo_exists("org/fid"), api.repo_exists("nobody/nothing")])
record("file_exists", lambda: [api.file_exists("org/fid", "config.json"), api.file_exists("org/fid", "x")])
record("repo_files", lambda: sorted(api.list_repo_files("org/snap")))
record("whoami", lambda: api.whoami(token=args["token"])["name"])

print(json.dumps(out))
'''


def _run(env: dict[str, str], args: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(args)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture
def fid(hubsim: HubSim, hubsim_env: dict[str, str]) -> tuple[HubSim, dict[str, Any], Path]:
    sim = hubsim
    sim.page_size = 2  # forces list_models to follow Link headers
    sim.tokens.update({TOKEN: "someone", "hf_approved": "friend"})
    files = {"config.json": CONFIG, "README.md": b"# fid\n", "model.safetensors": real_safetensors(),
             "big.safetensors": BIG}
    sim.add_model(SimModel(id="org/fid", files=files,
                           tags=("mlx",), revisions=("refs/pr/1",), resolve_cache=False))
    sim.add_model(SimModel(id="org/fidcache", files={"config.json": CONFIG}, resolve_cache=True))
    sim.add_model(SimModel(id="org/snap", files={"config.json": CONFIG, "sub/dir/notes.txt": b"deep\n",
                                                  "w.safetensors": real_safetensors()}))
    sim.add_model(SimModel(id="org/gated", files={"config.json": CONFIG}, gated="auto",
                           approved_tokens=frozenset({"hf_approved"})))
    sim.add_model(SimModel(id="new/fid", files={"config.json": CONFIG}, renamed_from=("old/fid",)))
    for i, downloads in enumerate((50, 900, 300, 700, 100, 800)):
        sim.add_model(SimModel(
            id=f"mlx-community/Fidel-{i}B-4bit", files={"config.json": CONFIG}, tags=("mlx",),
            downloads=downloads, gated="manual" if i == 3 else None,
            safetensors={"parameters": {"BF16": i, "U32": 10 * i}, "total": 11 * i}))
    sharded = next(m for m in (sim.get_model(i) for i in sim.generate_models(400))
                   if m is not None and "model.safetensors.index.json" in m.files)
    state: dict[str, Any] = {"sharded": sharded.id, "sharded_params": sharded.safetensors}
    home = Path(hubsim_env["HF_HUB_CACHE"])
    return sim, state, home


def test_huggingface_hub_against_the_simulator(fid: tuple[HubSim, dict[str, Any], Path],
                                               hubsim_env: dict[str, str]) -> None:
    sim, state, cache = fid
    # Armed before the run; only the retry check's search matches it.
    sim.faults.add(Fault("rate_limit", path=r"^/api/models$", query=r"search=org(%2F|/)fid", seconds=1))
    sim.faults.add(Fault("status", path=r"^/api/models$", query=r"search=org(%2F|/)snap", status=503))
    out = _run(hubsim_env, {"token": TOKEN, "approved": "hf_approved", "sharded": state["sharded"]})

    # list_models: pages followed (page size 2, limit 5), sorted by downloads, only the expanded fields
    listed = out["list"]["ok"]
    assert [m["id"] for m in listed] == [f"mlx-community/Fidel-{i}B-4bit" for i in (1, 5, 3, 2, 4)]
    assert [m["downloads"] for m in listed] == [900, 800, 700, 300, 100]
    assert all(m["likes"] is None for m in listed)  # not expanded, so absent
    assert [m["total"] for m in listed] == [11, 55, 33, 22, 44]
    assert [m["gated"] for m in listed] == [False, False, "manual", False, False]
    assert listed[0]["config"] == {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3"}
    pages = [r for r in sim.requests(r"^/api/models$") if r.query.get("filter") == ["mlx"]]
    assert len(pages) == 3 and "cursor" in pages[1].query
    assert pages[0].query["expand"] == ["downloads", "safetensors", "config", "gated"]

    full = out["list_full"]["ok"]
    assert len(full) == 2 and all(len(m["sha"]) == 40 and "config.json" in m["siblings"] for m in full)

    # model_info: sha, siblings with sizes, blob ids and LFS hashes; a percent-encoded revision
    fid_model = sim.models["org/fid"]
    info = out["info"]["ok"]
    assert info["sha"] == fid_model.commit
    assert info["siblings"]["config.json"] == [len(CONFIG), git_sha1(CONFIG), None]
    assert info["siblings"]["big.safetensors"][2] == hashlib.sha256(BIG).hexdigest()
    assert out["info_pr"]["ok"] == fid_model.commit
    assert any(r.path.endswith("/revision/refs%2Fpr%2F1") for r in sim.requests())

    # hf_hub_download of config.json: content, and the cache layout huggingface_hub writes
    config = out["config"]["ok"]
    assert config["content"] == CONFIG.decode()
    repo_dir = cache / "models--org--fid"
    assert (repo_dir / "refs" / "main").read_text() == fid_model.commit
    assert Path(config["real"]) == (repo_dir / "blobs" / git_sha1(CONFIG)).resolve()
    assert config["link"] == f"../../blobs/{git_sha1(CONFIG)}"
    assert Path(config["path"]) == repo_dir / "snapshots" / fid_model.commit / "config.json"
    assert Path(out["config_cached"]["ok"]).read_bytes() == CONFIG  # through the 307 resolve-cache hop
    assert any(r.path.startswith("/api/resolve-cache/") for r in sim.requests())

    # the large file comes from the CDN, and the token never reaches it
    assert out["big"]["ok"] == hashlib.sha256(BIG).hexdigest()
    assert (repo_dir / "blobs" / hashlib.sha256(BIG).hexdigest()).stat().st_size == len(BIG)
    hub_big = sim.requests(r"/resolve/main/big\.safetensors$", origin="hub")
    assert hub_big and all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in hub_big)
    cdn = sim.requests(origin="cdn")
    assert cdn and all("authorization" not in r.headers for r in cdn)

    # snapshot_download: every file, nested paths included
    snap = out["snapshot"]["ok"]
    assert snap["config.json"] == CONFIG.decode() and snap["sub/dir/notes.txt"] == "deep\n"
    assert snap["w.safetensors"] == real_safetensors().decode("latin-1")

    # get_safetensors_metadata: real header counts; and a generated sharded repo agrees with its listing
    assert out["st_single"]["ok"] == {"counts": {"BF16": 32, "U32": 8}, "sharded": False}
    sharded = out["st_sharded"]["ok"]
    assert sharded["sharded"] is True and sharded["counts"] == state["sharded_params"]["parameters"]

    # errors map onto huggingface_hub's exception classes
    assert out["gated_anon"]["error"] == "GatedRepoError"
    assert out["gated_denied"]["error"] == "GatedRepoError"
    assert "authorized list" in out["gated_denied"]["message"]
    assert out["gated_ok"]["ok"] == CONFIG.decode()
    assert out["missing_repo"]["error"] == "RepositoryNotFoundError"
    assert "RepositoryNotFoundError" in out["missing_repo_dl"]["mro"]
    assert "EntryNotFoundError" in out["missing_file"]["mro"]
    assert out["missing_rev"]["error"] == "RevisionNotFoundError"
    assert (repo_dir / ".no_exist" / fid_model.commit / "nope.json").exists()  # from X-Repo-Commit

    # a renamed repo: relative 307 followed, cached under the requested id
    assert out["renamed"]["ok"] == CONFIG.decode()
    assert (cache / "models--old--fid" / "refs" / "main").exists()

    # list_models retried the 429 (r=0;t=1 -> waits ~2 s) and then succeeded
    assert out["retry_429"]["ok"]["ids"] == ["org/fid", "org/fidcache"]
    assert out["retry_429"]["ok"]["seconds"] >= 1.5
    statuses = [r.status for r in sim.requests(r"^/api/models$") if r.query.get("search") == ["org/fid"]]
    assert statuses == [429, 200]
    # ... and a 503 (exponential backoff) the same way
    assert out["retry_503"]["ok"] == ["org/snap"]
    statuses = [r.status for r in sim.requests(r"^/api/models$") if r.query.get("search") == ["org/snap"]]
    assert statuses == [503, 200]

    assert out["repo_exists"]["ok"] == [True, False]
    assert out["file_exists"]["ok"] == [True, False]
    assert out["repo_files"]["ok"] == ["config.json", "sub/dir/notes.txt", "w.safetensors"]
    assert out["whoami"]["ok"] == "someone"
