"""What the Hub and the CDN answer, as plain data: one request in, one `Response` out (no sockets here)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlencode

from tests.hubsim.catalogue import (
    EXPAND_KEYS,
    INFO_KEYS,
    LIST_DEFAULT_KEYS,
    LIST_FULL_KEYS,
    SORT_ALIASES,
    Catalogue,
    FileInfo,
    ListQuery,
    SimModel,
    render,
)
from tests.hubsim.ratelimit import RateLimiter
from tests.hubsim.ratelimit import headers as ratelimit_headers

INVALID_CREDENTIALS = "Invalid credentials in Authorization header"
MAX_LIMIT = 1000
TREE_PAGE = 1000
TREE_PAGE_EXPANDED = 50

_TRUE = ("true", "1", "True")

Query = dict[str, list[str]]


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, body)


def error(
    status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    extra = {"X-Error-Message": message}
    if code is not None:
        extra["X-Error-Code"] = code
    return json_response(status, {"error": message}, {**extra, **(headers or {})})


def bucket_for(path: str) -> str | None:
    """The rate-limit bucket of a hub path (None: not limited)."""
    if "/resolve/" in path or path.startswith("/api/resolve-cache/"):
        return "resolvers"
    if path.startswith("/api/"):
        return "api"
    return "pages"


def _first(query: dict[str, list[str]], key: str) -> str | None:
    values = query.get(key)
    return values[0] if values else None


def _cursor_encode(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"$offset": offset}).encode()).decode()


def _cursor_decode(cursor: str) -> int | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
        offset = data["$offset"]
    except (ValueError, KeyError, TypeError):
        return None
    return offset if isinstance(offset, int) and offset >= 0 else None


def _content_type(path: str) -> str:
    if path.endswith((".json", ".md", ".txt", ".jinja", ".py", ".yaml", ".yml", ".model", ".gitattributes")):
        return "text/plain; charset=utf-8"
    return "application/octet-stream"


def parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """(start, end inclusive) for a single satisfiable range; None to ignore it; "416" if unsatisfiable."""
    m = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header)
    if m is None or (not m.group(1) and not m.group(2)):
        return None  # multi-range or malformed: serve the whole file, as many servers do
    if not m.group(1):
        length = int(m.group(2))
        if length == 0:
            return "416"
        return max(size - length, 0), size - 1
    start = int(m.group(1))
    end = int(m.group(2)) if m.group(2) else size - 1
    if start >= size or end < start:
        return "416"
    return start, min(end, size - 1)


def serve_bytes(content: bytes, headers: dict[str, str], req_headers: dict[str, str]) -> Response:
    """200 or 206 for a file body, honouring a single Range."""
    size = len(content)
    headers = {**headers, "Accept-Ranges": "bytes"}
    rng = req_headers.get("range")
    parsed = parse_range(rng, size) if rng else None
    if parsed == "416":
        return Response(416, {**headers, "Content-Range": f"bytes */{size}"}, b"")
    if isinstance(parsed, tuple):
        start, end = parsed
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        return Response(206, headers, content[start : end + 1])
    return Response(200, headers, content)


class HubApp:
    """The hub origin's behaviour. `tokens` and the catalogue are shared with the owning HubSim."""

    def __init__(
        self, catalogue: Catalogue, tokens: dict[str, str], limiter: RateLimiter, secret: bytes
    ) -> None:
        self.catalogue = catalogue
        self.tokens = tokens
        self.limiter = limiter
        self.secret = secret
        self.hub_url = ""
        self.cdn_url = ""
        self.page_size = MAX_LIMIT
        self.tree_page_size = TREE_PAGE
        self.resolve_cache = "some"  # "never" | "always" | "some" (a stable half of the repos)

    # --- entry point ----------------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, query: Query, headers: dict[str, str]) -> Response:
        bucket = bucket_for(raw_path)
        if bucket is not None:
            allowed, rl_headers = self.limiter.hit(bucket)
            if not allowed:
                return self.rate_limited(bucket, None, rl_headers)
        else:
            rl_headers = {}
        response = self._route(method, raw_path, query, headers)
        response.headers.update(rl_headers)
        return response

    def rate_limited(self, bucket: str, seconds: float | None, rl_headers: dict[str, str] | None) -> Response:
        if rl_headers is None:
            quota, window = self.limiter.policy(bucket)
            rl_headers = ratelimit_headers(bucket, 0, seconds or 0, quota, window)
        message = f"You have exceeded the rate limit for the '{bucket}' bucket. Please retry later."
        return error(429, message, "RateLimited", rl_headers)

    def _route(self, method: str, raw_path: str, query: Query, headers: dict[str, str]) -> Response:
        token: str | None = None
        username: str | None = None
        auth = headers.get("authorization")
        if auth is not None:
            scheme, _, value = auth.partition(" ")
            token = value.strip() if scheme.lower() == "bearer" else None
            username = self.tokens.get(token) if token else None
            if username is None:
                return error(401, INVALID_CREDENTIALS)
        segs = [unquote(s) for s in raw_path.split("/")[1:]]
        if method not in ("GET", "HEAD"):
            return error(405, f"Method {method} not allowed on the simulated Hub")
        ctx = _Ctx(method, raw_path, query, headers, token, username)
        if segs == ["api", "models"]:
            return self.list_models(ctx)
        if segs == ["api", "whoami-v2"]:
            if username is None:
                return error(401, "Invalid username or password.")
            return json_response(200, {"type": "user", "name": username, "auth": {"type": "access_token"}})
        if len(segs) >= 4 and segs[:2] == ["api", "models"]:
            org, name, rest = segs[2], segs[3], segs[4:]
            if not rest:
                return self.model_info(ctx, org, name, "main")
            if rest[0] == "revision" and len(rest) >= 2:
                return self.model_info(ctx, org, name, "/".join(rest[1:]))
            if rest[0] == "tree" and len(rest) >= 2:
                return self.tree(ctx, org, name, rest[1], "/".join(rest[2:]))
        if len(segs) >= 7 and segs[:3] == ["api", "resolve-cache", "models"]:
            return self.resolve(ctx, segs[3], segs[4], segs[5], "/".join(segs[6:]), cache_hop=True)
        if len(segs) >= 5 and segs[2] == "resolve":
            return self.resolve(ctx, segs[0], segs[1], segs[3], "/".join(segs[4:]), cache_hop=False)
        return error(404, "Sorry, we can't find the page you are looking for.")

    # --- helpers --------------------------------------------------------------------------------------

    def _repo(self, ctx: _Ctx, org: str, name: str) -> SimModel | Response:
        model_id = f"{org}/{name}"
        model = self.catalogue.get(model_id)
        if model is None:
            new_id = self.catalogue.renamed_to(model_id)
            if new_id is not None:
                # Renames answer with a relative Location on the same origin, like the Hub.
                location = ctx.raw_path.replace(f"/{quote(org)}/{quote(name)}", f"/{new_id}", 1)
                if ctx.query:
                    location += "?" + urlencode(ctx.query, doseq=True)
                return Response(307, {"Location": location, "Content-Type": "text/plain; charset=utf-8"},
                                f"Temporary Redirect. Redirecting to {location}".encode())
        if model is None or not model.visible_to(ctx.token, ctx.username):
            if ctx.username is None:
                return error(401, "Invalid username or password.", "RepoNotFound")
            return error(404, "Repository not found", "RepoNotFound")
        return model

    def _expand(self, ctx: _Ctx) -> list[str] | Response | None:
        values = ctx.query.get("expand")
        if not values:
            return None
        keys: list[str] = []
        for value in values:
            for key in value.split(","):
                if key not in EXPAND_KEYS:
                    return error(400, f'"expand" must be one of {sorted(EXPAND_KEYS)}, got "{key}"')
                if key not in keys:
                    keys.append(key)
        return keys

    # --- /api/models ----------------------------------------------------------------------------------

    def list_models(self, ctx: _Ctx) -> Response:
        q = ctx.query
        expand = self._expand(ctx)
        if isinstance(expand, Response):
            return expand
        sort = _first(q, "sort")
        if sort is not None and sort not in SORT_ALIASES:
            return error(400, f'Invalid sort "{sort}"')
        limit_text = _first(q, "limit")
        try:
            limit = int(limit_text) if limit_text is not None else MAX_LIMIT
        except ValueError:
            return error(400, '"limit" must be an integer')
        limit = max(1, min(limit, MAX_LIMIT, self.page_size))
        offset = 0
        cursor = _first(q, "cursor")
        if cursor is not None:
            decoded = _cursor_decode(cursor)
            if decoded is None:
                return error(400, "Invalid cursor")
            offset = decoded
        gated = _first(q, "gated")
        query = ListQuery(
            search=_first(q, "search") or None,
            author=_first(q, "author") or None,
            filters=tuple(v for vs in q.get("filter", []) for v in vs.split(",") if v),
            pipeline_tag=_first(q, "pipeline_tag") or None,
            sort=SORT_ALIASES[sort] if sort else "trendingScore",
            ascending=_first(q, "direction") == "1",
            gated=None if gated is None else gated in _TRUE,
            num_parameters=_first(q, "num_parameters"),
        )
        models = self.catalogue.query(query, ctx.token, ctx.username)
        page = models[offset : offset + limit]
        if expand is not None:
            keys: tuple[str, ...] = tuple(expand)
        else:
            keys = LIST_FULL_KEYS if _first(q, "full") in _TRUE else LIST_DEFAULT_KEYS
            if _first(q, "config") in _TRUE:
                keys = (*keys, "config")
            if _first(q, "cardData") in _TRUE:
                keys = (*keys, "cardData")
        items = [render(m, keys) for m in page]
        if expand is None:
            for item in items:
                item["modelId"] = item["id"]
        headers = {"X-Total-Count": str(len(models))}
        if offset + limit < len(models):
            params = {k: v for k, v in q.items() if k != "cursor"}
            params["cursor"] = [_cursor_encode(offset + limit)]
            # Clients use the next URL verbatim, so it must be absolute on our own origin.
            headers["Link"] = f'<{self.hub_url}/api/models?{urlencode(params, doseq=True)}>; rel="next"'
        return json_response(200, items, headers)

    # --- /api/models/{id}[/revision/{rev}] -------------------------------------------------------------

    def model_info(self, ctx: _Ctx, org: str, name: str, rev: str) -> Response:
        model = self._repo(ctx, org, name)
        if isinstance(model, Response):
            return model
        if not model.revision_exists(rev):
            return error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        expand = self._expand(ctx)
        if isinstance(expand, Response):
            return expand
        blobs = _first(ctx.query, "blobs") in _TRUE
        if expand is not None:
            item = render(model, expand, blobs=blobs)
        else:
            item = render(model, INFO_KEYS, blobs=blobs)
            item["modelId"] = model.id
            if _first(ctx.query, "securityStatus") in _TRUE:
                item["securityRepoStatus"] = {"scansDone": True, "filesWithIssues": []}
        return json_response(200, item)

    # --- /api/models/{id}/tree/{rev}[/{path}] ---------------------------------------------------------

    def tree(self, ctx: _Ctx, org: str, name: str, rev: str, path: str) -> Response:
        model = self._repo(ctx, org, name)
        if isinstance(model, Response):
            return model
        if not model.revision_exists(rev):
            return error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        recursive = _first(ctx.query, "recursive") in _TRUE
        prefix = path.strip("/")
        entries = _tree_entries(model, prefix, recursive)
        if entries is None:
            return error(404, f"Entry not found: {prefix}", "EntryNotFound", {"X-Repo-Commit": model.commit})
        page_size = TREE_PAGE_EXPANDED if _first(ctx.query, "expand") in _TRUE else TREE_PAGE
        page_size = max(1, min(page_size, self.tree_page_size))
        offset = 0
        cursor = _first(ctx.query, "cursor")
        if cursor is not None:
            decoded = _cursor_decode(cursor)
            if decoded is None:
                return error(400, "Invalid cursor")
            offset = decoded
        headers: dict[str, str] = {}
        if offset + page_size < len(entries):
            params = {k: v for k, v in ctx.query.items() if k != "cursor"}
            params["cursor"] = [_cursor_encode(offset + page_size)]
            headers["Link"] = f'<{self.hub_url}{ctx.raw_path}?{urlencode(params, doseq=True)}>; rel="next"'
        return json_response(200, entries[offset : offset + page_size], headers)

    # --- /{id}/resolve/{rev}/{path} and /api/resolve-cache/models/{id}/{commit}/{path} ------------------

    def resolve(self, ctx: _Ctx, org: str, name: str, rev: str, path: str, *, cache_hop: bool) -> Response:
        model = self._repo(ctx, org, name)
        if isinstance(model, Response):
            return model
        if not model.revision_exists(rev):
            return error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        if not model.may_download(ctx.token, ctx.username):
            if ctx.token is None:
                message = (f"Access to model {model.id} is restricted. You must have access to it and be "
                           "authenticated to access it. Please log in.")
                return error(401, message, "GatedRepo")
            message = (f"Access to model {model.id} is restricted and you are not in the authorized list. "
                       f"Visit https://huggingface.co/{model.id} to ask for access.")
            return error(403, message, "GatedRepo")
        info = model.file_infos.get(path)
        commit = {"X-Repo-Commit": model.commit}
        if info is None:
            return error(404, "Entry not found", "EntryNotFound", commit)
        if info.is_lfs:
            return self._redirect_to_cdn(model, info)
        etag = f'"{info.git_sha1}"'
        if_none_match = ctx.headers.get("if-none-match")
        if if_none_match is not None and _etag_matches(if_none_match, info.git_sha1):
            return Response(304, {"ETag": etag, **commit})
        if self._uses_resolve_cache(model) and not cache_hop:
            location = (f"/api/resolve-cache/models/{model.id}/{model.commit}/{quote(path)}"
                        f"?etag={quote(etag, safe='')}")
            headers = {"Location": location, **commit, "Content-Type": "text/plain; charset=utf-8"}
            return Response(307, headers, f"Temporary Redirect. Redirecting to {location}".encode())
        file_headers = {
            "Content-Type": _content_type(path),
            "ETag": etag,
            **commit,
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(_basename(path))}",
            "Cache-Control": "public, max-age=31536000" if cache_hop else "no-cache",
        }
        return serve_bytes(info.content, file_headers, ctx.headers)

    def _redirect_to_cdn(self, model: SimModel, info: FileInfo) -> Response:
        assert info.sha256 is not None
        signature = self.sign(model.id, info.sha256)
        location = (f"{self.cdn_url}/repos/{model.id}/{info.sha256}?X-Amz-Expires=3600"
                    f"&X-Amz-Signature={signature}"
                    f"&response-content-disposition={quote('inline; filename=' + _basename(info.path))}")
        headers = {
            "Location": location,
            "X-Linked-Etag": f'"{info.sha256}"',
            "X-Linked-Size": str(info.size),
            "X-Repo-Commit": model.commit,
            "ETag": f'"{info.git_sha1}"',
            "Content-Type": "text/plain; charset=utf-8",
        }
        return Response(302, headers, f"Found. Redirecting to {location}".encode())

    def _uses_resolve_cache(self, model: SimModel) -> bool:
        if model.resolve_cache is not None:
            return model.resolve_cache
        return self.resolve_cache == "always" or (self.resolve_cache == "some" and model.hashed_half)

    def sign(self, model_id: str, sha256: str) -> str:
        return hmac.new(self.secret, f"{model_id}/{sha256}".encode(), hashlib.sha256).hexdigest()[:32]

    # --- the CDN --------------------------------------------------------------------------------------

    def cdn(self, method: str, raw_path: str, query: Query, headers: dict[str, str]) -> Response:
        segs = [unquote(s) for s in raw_path.split("/")[1:]]
        if method not in ("GET", "HEAD") or len(segs) != 4 or segs[0] != "repos":
            return _s3_error(404, "NoSuchKey")
        model_id, sha = f"{segs[1]}/{segs[2]}", segs[3]
        if not hmac.compare_digest(_first(query, "X-Amz-Signature") or "", self.sign(model_id, sha)):
            return _s3_error(403, "AccessDenied")
        model = self.catalogue.get(model_id)
        info = next((i for i in (model.file_infos.values() if model else ()) if i.sha256 == sha), None)
        if info is None:
            return _s3_error(404, "NoSuchKey")
        file_headers = {"Content-Type": "application/octet-stream", "ETag": f'"{sha}"',
                        "X-Cache": "Hit from cloudfront"}
        return serve_bytes(info.content, file_headers, headers)


@dataclass
class _Ctx:
    method: str
    raw_path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    token: str | None
    username: str | None


def _etag_matches(header: str, sha: str) -> bool:
    for part in header.split(","):
        candidate = part.strip().removeprefix("W/").strip('"')
        if candidate in (sha, "*"):
            return True
    return False


def _tree_entries(model: SimModel, prefix: str, recursive: bool) -> list[dict[str, Any]] | None:
    """Tree items under `prefix` (directories first at each level, like git), None if the path is absent."""
    files = list(model.file_infos.values())
    base = f"{prefix}/" if prefix else ""
    under = [f for f in files if f.path.startswith(base)]
    if prefix and not under:
        return None
    dirs: dict[str, None] = {}
    out_files: list[dict[str, Any]] = []
    for info in under:
        rel = info.path[len(base):]
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            if depth > 1 and not recursive:
                break
            dirs[base + "/".join(parts[:depth])] = None
        if recursive or len(parts) == 1:
            out_files.append(info.tree_item())
    dir_items = [
        {"type": "directory", "oid": _sha1(f"{model.commit}/{d}"), "size": 0, "path": d} for d in dirs
    ]
    return dir_items + out_files


def _basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def _s3_error(status: int, code: str) -> Response:
    body = f"<Error><Code>{code}</Code></Error>".encode()
    return Response(status, {"Content-Type": "application/xml"}, body)


def request_id() -> str:
    return f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]}"
