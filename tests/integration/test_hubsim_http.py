"""The Hub simulator on the wire, checked with a plain HTTP client: what any client of the Hub relies on."""

from __future__ import annotations

import hashlib
import http.client
import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.hubsim import Fault, HubSim, SimModel, git_sha1
from tests.hubsim.catalogue import corpus_id

CONFIG = json.dumps({"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3",
                     "quantization_config": {"bits": 4, "group_size": 64, "mode": "affine"},
                     "hidden_size": 64}).encode()
WEIGHTS = bytes(range(256)) * 40  # 10 KB, LFS because of the suffix


def _model(model_id: str, **kw: object) -> SimModel:
    files = kw.pop("files", None) or {
        "config.json": CONFIG, "README.md": b"# hi\n", "model.safetensors": WEIGHTS}
    return SimModel(id=model_id, files=files, **kw)  # type: ignore[arg-type]


@pytest.fixture
def sim(hubsim: HubSim) -> HubSim:
    """The started simulator with a small known catalogue (the corpus removed)."""
    for model_id in hubsim.models:
        hubsim.remove_model(model_id)
    hubsim.add_model(_model("mlx-community/Qwen3-8B-4bit", tags=("mlx", "safetensors", "qwen3"),
                            downloads=500, likes=5,
                            safetensors={"parameters": {"BF16": 10, "U32": 20}, "total": 30}))
    hubsim.add_model(_model("mlx-community/Qwen3-4B-4bit", tags=("mlx",), downloads=900, likes=1))
    hubsim.add_model(_model("someone/qwen3-tiny-mlx", tags=("mlx",), downloads=100, likes=50))
    hubsim.add_model(_model("Qwen/Qwen3-8B", tags=("transformers",), library_name="transformers",
                            downloads=9999))
    hubsim.add_model(_model("meta-llama/Gated-1B", tags=("mlx",), gated="manual",
                            approved_tokens=frozenset({"tok-approved"})))
    hubsim.add_model(_model("alice/secret", private=True))
    hubsim.tokens.update({"tok-approved": "bob", "tok-other": "carol", "tok-alice": "alice"})
    return hubsim


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as c:
        yield c


# --- /api/models -------------------------------------------------------------------------------------


def test_search_filter_sort_and_expand_give_only_asked_fields(sim: HubSim, client: httpx.Client) -> None:
    r = client.get(f"{sim.url}/api/models", params={
        "filter": "mlx", "search": "QWEN3", "sort": "downloads", "expand": ["downloads", "safetensors"]})
    assert r.status_code == 200
    items = r.json()
    assert [i["id"] for i in items] == [
        "mlx-community/Qwen3-4B-4bit", "mlx-community/Qwen3-8B-4bit", "someone/qwen3-tiny-mlx"]
    assert all(set(i) <= {"_id", "id", "downloads", "safetensors"} for i in items)
    assert items[1]["safetensors"] == {"parameters": {"BF16": 10, "U32": 20}, "total": 30}
    assert r.headers["X-Total-Count"] == "3"

    likes = client.get(f"{sim.url}/api/models", params={"filter": "mlx", "search": "qwen3", "sort": "likes"})
    assert likes.json()[0]["id"] == "someone/qwen3-tiny-mlx"
    ascending = client.get(f"{sim.url}/api/models",
                           params={"search": "qwen3-", "sort": "downloads", "direction": "1"})
    downloads = [i["downloads"] for i in ascending.json()]
    assert downloads == sorted(downloads)


def test_all_filters_must_match_and_author_narrows(sim: HubSim, client: httpx.Client) -> None:
    both = client.get(f"{sim.url}/api/models", params={"filter": ["mlx", "qwen3"]}).json()
    assert [i["id"] for i in both] == ["mlx-community/Qwen3-8B-4bit"]
    by_author = client.get(f"{sim.url}/api/models",
                           params={"author": "mlx-community", "search": "qwen3"}).json()
    assert {i["id"] for i in by_author} == {"mlx-community/Qwen3-8B-4bit", "mlx-community/Qwen3-4B-4bit"}
    # library_name counts as a filter value even when it is not among the tags
    lib = client.get(f"{sim.url}/api/models", params={"filter": "transformers", "search": "Qwen/Qwen3-8B"})
    assert [i["id"] for i in lib.json()] == ["Qwen/Qwen3-8B"]


def test_default_full_and_config_item_shapes(sim: HubSim, client: httpx.Client) -> None:
    params = {"search": "mlx-community/Qwen3-8B-4bit"}
    default = client.get(f"{sim.url}/api/models", params=params).json()[0]
    assert set(default) == {"_id", "id", "likes", "trendingScore", "private", "downloads", "tags",
                            "pipeline_tag", "library_name", "createdAt", "modelId"}
    full = client.get(f"{sim.url}/api/models", params={**params, "full": "true", "config": "true"}).json()[0]
    assert full["sha"] and full["siblings"] == [{"rfilename": "README.md"}, {"rfilename": "config.json"},
                                                {"rfilename": "model.safetensors"}]
    assert full["gated"] is False
    # The Hub's config is a subset: no hidden_size, quantization_config reduced to its known keys
    assert full["config"] == {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3",
                              "quantization_config": {"bits": 4}}


def test_unknown_expand_is_a_400_with_an_error_body(sim: HubSim, client: httpx.Client) -> None:
    r = client.get(f"{sim.url}/api/models", params={"expand": ["downloads", "nonsense"]})
    assert r.status_code == 400
    assert "nonsense" in r.json()["error"]
    assert client.get(f"{sim.url}/api/models/Qwen/Qwen3-8B", params={"expand": "bogus"}).status_code == 400


def test_pagination_link_is_absolute_and_walks_every_result_once(sim: HubSim, client: httpx.Client) -> None:
    sim.generate_models(30)
    params = {"sort": "downloads", "limit": 7, "expand": "downloads"}
    first = client.get(f"{sim.url}/api/models", params=params)
    total = int(first.headers["X-Total-Count"])
    assert total == len(sim.models) - 1  # the private repo is not listed for an anonymous caller
    seen = list(first.json())
    url = first.links["next"]["url"]
    pages = 1
    while url:
        assert url.startswith(f"{sim.url}/api/models?")  # absolute, on our own origin
        r = client.get(url)
        seen += r.json()
        pages += 1
        url = r.links.get("next", {}).get("url")
    assert len(seen) == total and len({i["id"] for i in seen}) == total
    assert pages == -(-total // 7)
    downloads = [i["downloads"] for i in seen]
    assert downloads == sorted(downloads, reverse=True)


def test_limit_is_capped_at_1000(hubsim: HubSim, client: httpx.Client) -> None:
    hubsim.generate_models(1100)
    r = client.get(f"{hubsim.url}/api/models", params={"limit": 5000, "expand": "likes"})
    assert len(r.json()) == 1000 and "next" in r.links


# --- /api/models/{id} and tree -------------------------------------------------------------------------


def test_model_info_blobs_and_revisions(sim: HubSim, client: httpx.Client) -> None:
    sim.add_model(_model("org/revs", revisions=("refs/pr/1", "v1.0")))
    info = client.get(f"{sim.url}/api/models/org/revs", params={"blobs": "true"}).json()
    siblings = {s["rfilename"]: s for s in info["siblings"]}
    assert siblings["config.json"] == {
        "rfilename": "config.json", "size": len(CONFIG), "blobId": git_sha1(CONFIG)}
    lfs = siblings["model.safetensors"]["lfs"]
    assert lfs["sha256"] == hashlib.sha256(WEIGHTS).hexdigest() and lfs["size"] == len(WEIGHTS)
    assert lfs["pointerSize"] > 100
    assert len(info["sha"]) == 40
    pr = client.get(f"{sim.url}/api/models/org/revs/revision/refs%2Fpr%2F1")
    assert pr.status_code == 200 and pr.json()["sha"] == info["sha"]
    assert client.get(f"{sim.url}/api/models/org/revs/revision/{info['sha']}").status_code == 200
    bad = client.get(f"{sim.url}/api/models/org/revs/revision/nope")
    assert (bad.status_code, bad.headers["X-Error-Code"]) == (404, "RevisionNotFound")


def test_tree_lists_files_and_directories(sim: HubSim, client: httpx.Client) -> None:
    sim.add_model(_model("org/tree", files={"a.txt": b"a", "sub/b.txt": b"bb", "sub/deep/c.bin": b"ccc"}))
    flat = client.get(f"{sim.url}/api/models/org/tree/tree/main").json()
    assert {(i["type"], i["path"]) for i in flat} == {("file", "a.txt"), ("directory", "sub")}
    rec = client.get(f"{sim.url}/api/models/org/tree/tree/main", params={"recursive": "true"}).json()
    files = {i["path"]: i for i in rec if i["type"] == "file"}
    assert set(files) == {"a.txt", "sub/b.txt", "sub/deep/c.bin"}
    assert files["a.txt"]["oid"] == git_sha1(b"a") and "lfs" not in files["a.txt"]
    assert files["sub/deep/c.bin"]["lfs"]["oid"] == hashlib.sha256(b"ccc").hexdigest()
    sub = client.get(f"{sim.url}/api/models/org/tree/tree/main/sub%2Fdeep").json()
    assert [i["path"] for i in sub] == ["sub/deep/c.bin"]


def test_tree_pages_follow_absolute_links(sim: HubSim, client: httpx.Client) -> None:
    sim.add_model(_model("org/many", files={f"d/f{i}.txt": b"x" * i for i in range(5)}))
    sim.tree_page_size = 2
    url: str | None = f"{sim.url}/api/models/org/many/tree/main?recursive=true"
    paths: list[str] = []
    while url:
        assert url.startswith(sim.url + "/api/models/org/many/tree/main?")
        r = client.get(url)
        paths += [i["path"] for i in r.json()]
        url = r.links.get("next", {}).get("url")
    assert sorted(paths) == ["d", *(f"d/f{i}.txt" for i in range(5))]


# --- resolve -----------------------------------------------------------------------------------------


def test_small_file_resolve_headers_range_and_conditional(sim: HubSim, client: httpx.Client) -> None:
    sim.add_model(_model("org/direct", resolve_cache=False))
    url = f"{sim.url}/org/direct/resolve/main/config.json"
    r = client.get(url)
    assert r.status_code == 200 and r.content == CONFIG
    assert r.headers["ETag"] == f'"{git_sha1(CONFIG)}"'
    assert r.headers["X-Repo-Commit"] == sim.models["org/direct"].commit
    assert r.headers["Accept-Ranges"] == "bytes" and int(r.headers["Content-Length"]) == len(CONFIG)
    assert not any(k.lower().startswith("x-xet") for k in r.headers)
    head = client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == str(len(CONFIG))
    part = client.get(url, headers={"Range": "bytes=2-5"})
    assert part.status_code == 206 and part.content == CONFIG[2:6]
    assert part.headers["Content-Range"] == f"bytes 2-5/{len(CONFIG)}"
    assert client.get(url, headers={"Range": f"bytes={len(CONFIG) + 5}-"}).status_code == 416
    same = client.get(url, headers={"If-None-Match": r.headers["ETag"]})
    assert same.status_code == 304 and same.content == b""
    assert client.get(url, headers={"If-None-Match": '"0000"'}).status_code == 200


def test_small_file_via_resolve_cache_redirect(sim: HubSim, client: httpx.Client) -> None:
    sim.add_model(_model("org/cached", resolve_cache=True))
    r = client.get(f"{sim.url}/org/cached/resolve/main/config.json")
    assert r.status_code == 307
    location = r.headers["Location"]
    assert location.startswith(f"/api/resolve-cache/models/org/cached/{sim.models['org/cached'].commit}/")
    followed = client.get(f"{sim.url}/org/cached/resolve/main/config.json", follow_redirects=True)
    assert followed.status_code == 200 and followed.content == CONFIG
    assert followed.headers["ETag"] == f'"{git_sha1(CONFIG)}"' and "X-Repo-Commit" in followed.headers


def test_large_file_redirects_to_a_signed_cdn_url(sim: HubSim, client: httpx.Client) -> None:
    r = client.get(f"{sim.url}/mlx-community/Qwen3-8B-4bit/resolve/main/model.safetensors",
                   headers={"Authorization": "Bearer tok-other"})
    assert r.status_code == 302
    assert r.headers["X-Linked-Etag"] == f'"{hashlib.sha256(WEIGHTS).hexdigest()}"'
    assert r.headers["X-Linked-Size"] == str(len(WEIGHTS))
    assert r.headers["X-Repo-Commit"] == sim.models["mlx-community/Qwen3-8B-4bit"].commit
    location = r.headers["Location"]
    assert location.startswith(sim.cdn_url + "/")
    cdn = client.get(location)
    assert cdn.status_code == 200 and cdn.content == WEIGHTS and "RateLimit" not in cdn.headers
    ranged = client.get(location, headers={"Range": "bytes=0-7"})
    assert ranged.status_code == 206 and ranged.content == WEIGHTS[:8]
    forged = location.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    assert client.get(forged).status_code == 403


def test_renamed_repo_answers_a_relative_307(sim: HubSim, client: httpx.Client) -> None:
    sim.add_model(_model("new-org/model", renamed_from=("old-org/model",), resolve_cache=False))
    r = client.get(f"{sim.url}/old-org/model/resolve/main/config.json")
    assert r.status_code == 307 and r.headers["Location"] == "/new-org/model/resolve/main/config.json"
    followed = client.get(f"{sim.url}/old-org/model/resolve/main/config.json", follow_redirects=True)
    assert followed.content == CONFIG
    info = client.get(f"{sim.url}/api/models/old-org/model", follow_redirects=True)
    assert info.json()["id"] == "new-org/model"


# --- errors -------------------------------------------------------------------------------------------


def _err(r: httpx.Response) -> tuple[int, str | None, str | None]:
    return r.status_code, r.headers.get("X-Error-Code"), r.headers.get("X-Error-Message")


def test_error_codes_and_messages(sim: HubSim, client: httpx.Client) -> None:
    u = sim.url
    anonymous = client.get(f"{u}/api/models/nobody/nothing")
    assert _err(anonymous) == (401, "RepoNotFound", "Invalid username or password.")
    auth = {"Authorization": "Bearer tok-other"}
    assert _err(client.get(f"{u}/api/models/nobody/nothing", headers=auth))[:2] == (404, "RepoNotFound")
    assert _err(client.get(f"{u}/api/models/alice/secret", headers=auth))[:2] == (404, "RepoNotFound")
    owner = {"Authorization": "Bearer tok-alice"}
    assert client.get(f"{u}/api/models/alice/secret", headers=owner).is_success

    gated = f"{u}/meta-llama/Gated-1B/resolve/main/config.json"
    anon = client.get(gated)
    assert _err(anon) == (401, "GatedRepo", "Access to model meta-llama/Gated-1B is restricted. You must "
                          "have access to it and be authenticated to access it. Please log in.")
    assert anon.json()["error"] == anon.headers["X-Error-Message"]
    assert _err(client.get(gated, headers=auth)) == (
        403, "GatedRepo", "Access to model meta-llama/Gated-1B is restricted and you are not in the "
        "authorized list. Visit https://huggingface.co/meta-llama/Gated-1B to ask for access.")
    ok = client.get(gated, headers={"Authorization": "Bearer tok-approved"}, follow_redirects=True)
    assert ok.status_code == 200 and ok.content == CONFIG
    assert client.get(f"{u}/api/models/meta-llama/Gated-1B").json()["gated"] == "manual"  # metadata is public

    missing = client.get(f"{u}/Qwen/Qwen3-8B/resolve/main/nope.json")
    assert _err(missing)[:2] == (404, "EntryNotFound")
    assert missing.headers["X-Repo-Commit"] == sim.models["Qwen/Qwen3-8B"].commit
    assert _err(client.get(f"{u}/Qwen/Qwen3-8B/resolve/v9/config.json"))[:2] == (404, "RevisionNotFound")
    bad_token = client.get(f"{u}/api/models", headers={"Authorization": "Bearer wrong"})
    assert _err(bad_token) == (401, None, "Invalid credentials in Authorization header")


# --- rate limits -------------------------------------------------------------------------------------


def test_rate_limit_headers_on_every_response_and_429_when_spent(sim: HubSim, client: httpx.Client) -> None:
    r = client.get(f"{sim.url}/api/models", params={"limit": 1})
    assert r.headers["RateLimit"].startswith('"api";r=')
    assert r.headers["RateLimit-Policy"] == '"fixed window";"api";q=1000000;w=300'
    sim.set_budget("api", quota=3, window=60.0)
    remaining = []
    for _ in range(3):
        rl = client.get(f"{sim.url}/api/models/Qwen/Qwen3-8B").headers["RateLimit"]
        remaining.append(rl.split(";")[1])
    assert remaining == ["r=2", "r=1", "r=0"]
    spent = client.get(f"{sim.url}/api/models/Qwen/Qwen3-8B")
    assert spent.status_code == 429
    assert spent.headers["RateLimit"].startswith('"api";r=0;t=')
    assert 0 < int(spent.headers["RateLimit"].rsplit("t=", 1)[1]) <= 60
    assert spent.headers["RateLimit-Policy"] == '"fixed window";"api";q=3;w=60'
    # other buckets are counted apart, and a 4xx still carries them
    res = client.get(f"{sim.url}/Qwen/Qwen3-8B/resolve/main/missing")
    assert res.status_code == 404 and res.headers["RateLimit"].startswith('"resolvers";r=')


def test_budget_window_resets(sim: HubSim, client: httpx.Client) -> None:
    now = [1000.0]
    sim.limiter.clock = lambda: now[0]
    sim.set_budget("resolvers", quota=1, window=300.0)
    url = f"{sim.url}/Qwen/Qwen3-8B/resolve/main/README.md"
    assert client.get(url).status_code in (200, 307)
    now[0] += 200
    spent = client.get(url)
    assert spent.status_code == 429 and spent.headers["RateLimit"] == '"resolvers";r=0;t=100'
    now[0] += 100  # the fixed window ends: a fresh budget
    fresh = client.get(url)
    assert fresh.status_code in (200, 307) and fresh.headers["RateLimit"] == '"resolvers";r=0;t=300'


# --- faults ------------------------------------------------------------------------------------------


def test_status_fault_hits_count_requests_then_stops(sim: HubSim, client: httpx.Client) -> None:
    sim.faults.add(Fault("status", path=r"^/api/models$", count=2, status=503))
    codes = [client.get(f"{sim.url}/api/models", params={"limit": 1}).status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    assert client.get(f"{sim.url}/api/models/Qwen/Qwen3-8B").status_code == 200  # other paths untouched
    assert [r.status for r in sim.requests(r"^/api/models$")] == [503, 503, 200]


def test_rate_limit_fault_is_a_429_storm(sim: HubSim, client: httpx.Client) -> None:
    sim.faults.add(Fault("rate_limit", path="/resolve/", count=None, seconds=7))
    for _ in range(3):
        r = client.get(f"{sim.url}/Qwen/Qwen3-8B/resolve/main/config.json")
        assert r.status_code == 429 and r.headers["RateLimit"] == '"resolvers";r=0;t=7'
    sim.faults.clear()
    assert client.get(f"{sim.url}/Qwen/Qwen3-8B/resolve/main/config.json", follow_redirects=True).is_success


def test_timeout_fault_hangs_until_the_client_gives_up(sim: HubSim) -> None:
    sim.faults.add(Fault("timeout", path="config.json", seconds=30))
    start = time.monotonic()
    with httpx.Client(timeout=0.3) as c, pytest.raises(httpx.ReadTimeout):
        c.get(f"{sim.url}/Qwen/Qwen3-8B/resolve/main/config.json")
    assert time.monotonic() - start < 5
    assert sim.requests("config.json")[0].status == 0


def test_stop_is_fast_while_a_connection_hangs(hubsim: HubSim) -> None:
    hubsim.faults.add(Fault("timeout", seconds=60))
    sock = http.client.HTTPConnection(urlsplit(hubsim.url).netloc, timeout=10)
    sock.request("GET", "/api/models")
    hubsim.wait_for_request("^/api/models$")  # the server has it and is now hanging on it
    start = time.monotonic()
    hubsim.stop()
    assert time.monotonic() - start < 2
    assert hubsim.alive_threads() == []
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        sock.getresponse()
    sock.close()


def test_slow_drip_delivers_the_whole_body_slowly(sim: HubSim, client: httpx.Client) -> None:
    sim.add_model(_model("org/drip", resolve_cache=False))
    sim.faults.add(Fault("slow_drip", path="config.json", seconds=0.6))
    start = time.monotonic()
    r = client.get(f"{sim.url}/org/drip/resolve/main/config.json")
    assert r.content == CONFIG
    assert time.monotonic() - start >= 0.5


def test_truncate_fault_breaks_the_body_mid_way(sim: HubSim, client: httpx.Client) -> None:
    sim.faults.add(Fault("truncate", path="config.json"))
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(f"{sim.url}/Qwen/Qwen3-8B/resolve/main/config.json", follow_redirects=True)
    again = client.get(f"{sim.url}/Qwen/Qwen3-8B/resolve/main/config.json", follow_redirects=True)
    assert again.status_code == 200  # count=1: the next request is whole


def test_oversize_and_invalid_json_faults(sim: HubSim, client: httpx.Client) -> None:
    url = f"{sim.url}/mlx-community/Qwen3-8B-4bit/resolve/main/config.json"
    sim.faults.add(Fault("oversize", path="config.json"))
    big = client.get(url, follow_redirects=True)
    assert len(big.content) > 2 * 1024 * 1024 and json.loads(big.content) == json.loads(CONFIG)
    sim.faults.add(Fault("invalid_json", path="config.json"))
    broken = client.get(url, follow_redirects=True)
    assert broken.status_code == 200
    with pytest.raises(ValueError):
        json.loads(broken.content)
    sim.faults.add(Fault("invalid_json", path=r"^/api/models$"))
    with pytest.raises(ValueError):
        client.get(f"{sim.url}/api/models").json()


def test_reset_fault_drops_the_connection(sim: HubSim, client: httpx.Client) -> None:
    sim.faults.add(Fault("reset", path=r"^/api/models$"))
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError)):
        client.get(f"{sim.url}/api/models")
    assert client.get(f"{sim.url}/api/models", params={"limit": 1}).status_code == 200


def test_latency_is_added_to_every_request(sim: HubSim, client: httpx.Client) -> None:
    sim.faults.latency = 0.2
    start = time.monotonic()
    client.get(f"{sim.url}/api/models", params={"limit": 1})
    client.get(f"{sim.url}/api/models", params={"limit": 1})
    assert time.monotonic() - start >= 0.4


# --- the plumbing ------------------------------------------------------------------------------------


def test_keep_alive_serves_several_requests_on_one_connection(sim: HubSim) -> None:
    conn = http.client.HTTPConnection(urlsplit(sim.url).netloc, timeout=5)
    try:
        conn.request("GET", "/api/models?limit=1")
        first = conn.getresponse()
        assert first.status == 200 and json.loads(first.read())
        sock = conn.sock
        conn.request("HEAD", "/Qwen/Qwen3-8B/resolve/main/nope")
        second = conn.getresponse()
        second.read()
        assert second.status == 404 and conn.sock is sock
    finally:
        conn.close()


def test_log_records_both_origins_with_headers(sim: HubSim, client: httpx.Client) -> None:
    sim.clear_log()
    client.get(f"{sim.url}/mlx-community/Qwen3-8B-4bit/resolve/main/model.safetensors",
               headers={"Authorization": "Bearer tok-other", "X-Probe": "1"}, follow_redirects=True)
    hub, cdn = sim.requests(origin="hub"), sim.requests(origin="cdn")
    assert [r.status for r in hub] == [302] and [r.status for r in cdn] == [200]
    assert hub[0].headers["x-probe"] == "1" and hub[0].method == "GET"
    assert cdn[0].query["X-Amz-Signature"]


def test_generated_models_are_deterministic_and_varied() -> None:
    a, b = HubSim(corpus=False, seed=3), HubSim(corpus=False, seed=3)
    ids = a.generate_models(2000)
    assert ids == b.generate_models(2000) and len(set(ids)) == 2000
    models = a.models
    assert any(i.startswith("mlx-community/") for i in ids)
    no_config = [m for m in models.values() if "config.json" not in m.files]
    assert no_config and all(m.gguf for m in no_config)
    assert {m.gated for m in models.values()} >= {None, "auto", "manual"}
    mlx = next(m for m in models.values() if m.library_name == "mlx" and "4bit" in m.id)
    assert json.loads(mlx.files["config.json"])["quantization"]["bits"] == 4
    assert HubSim(corpus=False, seed=4).generate_models(50) != ids[:50]


def test_fifty_thousand_generated_models_are_distinct() -> None:
    sim = HubSim(corpus=False)
    ids = sim.generate_models(50_000)
    assert len(sim.models) == 50_000 == len(set(ids))


def test_corpus_configs_are_served_byte_for_byte(
    hubsim: HubSim, client: httpx.Client, corpus_dir: Path
) -> None:
    paths = sorted(corpus_dir.glob("*.json"))
    assert len(hubsim.models) == len(paths)
    for path in paths[:: max(len(paths) // 8, 1)]:
        r = client.get(f"{hubsim.url}/{corpus_id(path.name)}/resolve/main/config.json", follow_redirects=True)
        if hubsim.models[corpus_id(path.name)].gated:
            assert r.status_code == 401
            continue
        assert r.content == path.read_bytes()
    mlx = client.get(f"{hubsim.url}/api/models", params={"filter": "mlx", "limit": 1000}).json()
    assert "georgehenney/Qwen3-8B-heretic-mlx-4bit" in {i["id"] for i in mlx}
    assert "Qwen/Qwen3-8B" not in {i["id"] for i in mlx}


def test_status_fault_carries_the_hub_headers(sim: HubSim, client: httpx.Client) -> None:
    sim.faults.add(Fault("status", path="/resolve/", status=500))
    r = client.get(f"{sim.url}/Qwen/Qwen3-8B/resolve/main/config.json")
    assert r.status_code == 500 and r.json()["error"]
    assert r.headers["RateLimit"].startswith('"resolvers";r=') and r.headers["X-Request-Id"]


def test_serves_concurrent_asyncio_clients(sim: HubSim) -> None:
    import asyncio

    ids = [i for i in sim.generate_models(40) if not sim.models[i].gated][:20]  # gated READMEs answer 401

    async def fetch_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(follow_redirects=True, timeout=5) as c:
            return await asyncio.gather(*(c.get(f"{sim.url}/{i}/resolve/main/README.md") for i in ids))

    responses = asyncio.run(fetch_all())
    assert all(r.status_code == 200 and r.content == sim.models[i].files["README.md"]
               for r, i in zip(responses, ids, strict=True))


def test_stop_closes_idle_keep_alive_connections() -> None:
    sim = HubSim(corpus=False).start()
    clients = [httpx.Client() for _ in range(4)]
    for c in clients:
        assert c.get(f"{sim.url}/api/models").status_code == 200  # the connection stays open, idle
    start = time.monotonic()
    sim.stop()
    assert time.monotonic() - start < 2 and sim.alive_threads() == []
    for c in clients:
        c.close()


def test_manual_run_prints_the_url_and_serves_until_interrupted() -> None:
    import signal
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-m", "tests.hubsim", "--generated", "10", "--no-corpus"],
                            cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("hubsim: 10 models at http://127.0.0.1:")
        url = line.split(" at ", 1)[1].split()[0]
        assert len(httpx.get(f"{url}/api/models", timeout=5).json()) == 10
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
