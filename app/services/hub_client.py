"""The Hugging Face Hub over plain httpx: search pages and config.json fetches, as typed outcomes.

One long-lived `httpx.AsyncClient` per `HubClient`. Every hop of every request passes an event hook
that paces it (the rate limiter, per bucket) and decides the Authorization header: the token goes to
the Hub origin only, never to a CDN a redirect points at. Answers are untrusted: bodies are capped
while streaming and parsed leniently; every failure becomes an outcome a person can read.
"""

from __future__ import annotations

import contextvars
import importlib.util
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote
from urllib.request import getproxies

import httpx

from app import __version__
from app.core.config_parse import MAX_CONFIG_BYTES, ConfigError, parse_config_object
from app.core.hub_address import DEFAULT_ENDPOINT, InvalidEndpoint, parse_endpoint
from app.core.hub_address import model_url as hub_model_url
from app.core.listing import entry_from_listing
from app.core.model_entry import ModelEntry
from app.core.model_id import InvalidModelId, validate_model_id
from app.core.sorting import server_sort
from app.services.rate_limit import API, RESOLVERS, RateLimiter, parse_rate_limit, retry_after_seconds
from app.services.warm_connections import ConnectionWarmer, warm_transport


def _fail_fast_on_missing_sniffio() -> None:
    # httpcore tries `import sniffio` on every request; when it is not installed each failed import
    # rescans sys.path (~0.2 ms, several times per request, on the GUI thread). A None entry makes the
    # import fail at once, with the same ImportError httpcore already handles.
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


_fail_fast_on_missing_sniffio()
log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
SEARCH_EXPAND = ("downloads", "likes", "lastModified", "createdAt", "gated", "tags", "pipeline_tag",
                 "library_name", "config", "safetensors", "trendingScore")
MAX_LISTING_BYTES = 32 * 1024 * 1024  # a 1000-item page with configs is a few MB
# One screen of config fetches at once (the fetcher's concurrency): that many connections kept ready.
WARM_CONNECTIONS = 12
# Idle connections stay open across pauses in browsing (a handshake costs two round trips); one the
# server has closed meanwhile is noticed before reuse.
POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=30.0)
_TRUE = ("1", "on", "yes", "true")


# --- outcomes ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConfigOk:
    config: dict[str, Any]
    etag: str | None = None
    commit: str | None = None


@dataclass(frozen=True)
class NotModified:
    etag: str | None = None


@dataclass(frozen=True)
class NoConfig:
    reason: str = "the repository has no config.json"


@dataclass(frozen=True)
class Gated:
    kind: Literal["no_token", "not_approved"]
    url: str


@dataclass(frozen=True)
class NotFound:
    reason: str = "no such model on the Hub (or it is private)"


@dataclass(frozen=True)
class RateLimited:
    retry_after: float
    bucket: str = RESOLVERS


@dataclass(frozen=True)
class Offline:
    reason: str = "offline"


@dataclass(frozen=True)
class Failed:
    reason: str
    retryable: bool = False


ConfigOutcome = ConfigOk | NotModified | NoConfig | Gated | NotFound | RateLimited | Offline | Failed
Failure = NoConfig | Gated | NotFound | RateLimited | Offline | Failed


def describe(outcome: Failure) -> str:
    """One line a person understands (the CLI prints it; the UI shows it on the card)."""
    if isinstance(outcome, Gated):
        if outcome.kind == "no_token":
            return f"gated model: log in with a Hugging Face token and accept its terms at {outcome.url}"
        return f"gated model: your token is not approved yet; request access at {outcome.url}"
    if isinstance(outcome, NoConfig):
        return outcome.reason
    if isinstance(outcome, NotFound):
        return outcome.reason
    if isinstance(outcome, RateLimited):
        return f"rate limited by the Hub ({outcome.bucket}); retry in {max(1, round(outcome.retry_after))} s"
    if isinstance(outcome, Offline):
        return f"offline: {outcome.reason}"
    return outcome.reason


class HubError(Exception):
    """A search that could not be answered; `outcome` says why."""

    def __init__(self, outcome: Failure) -> None:
        super().__init__(describe(outcome))
        self.outcome = outcome


@dataclass(frozen=True)
class SearchPage:
    entries: list[ModelEntry]
    next_cursor: str | None = None  # the absolute URL of the next page, used verbatim
    total: int | None = field(default=None, compare=False)


# --- per-call bookkeeping shared with the event hooks ---------------------------------------------

class _WouldWait(Exception):
    def __init__(self, wait: float, bucket: str) -> None:
        super().__init__(f"would wait {wait:.1f} s")
        self.wait = wait
        self.bucket = bucket


@dataclass
class _Call:
    max_wait: float | None = None
    pending: list[str] = field(default_factory=list)  # buckets acquired, response not seen yet
    token_sent: bool = False
    limited: RateLimited | None = None


_CALL: contextvars.ContextVar[_Call | None] = contextvars.ContextVar("hub_call", default=None)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    port = url.port or {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, url.host, port)


def offline_mode() -> bool:
    return any(os.environ.get(name, "").strip().lower() in _TRUE for name in ("HF_HUB_OFFLINE",
                                                                              "TRANSFORMERS_OFFLINE"))


class HubClient:
    def __init__(
        self,
        endpoint: str | None = None,
        *,
        token: str | bool | None = None,
        limiter: RateLimiter | None = None,
        timeout: httpx.Timeout | float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http2: bool = False,
    ) -> None:
        raw = endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT
        # A bad address is a setup error every request reports in words (never the default Hub instead).
        self.setup_error: str | None = None
        try:
            self.endpoint = parse_endpoint(raw, source="HF_ENDPOINT" if not endpoint else "the Hub address")
        except InvalidEndpoint as exc:
            self.setup_error, self.endpoint = str(exc), raw.strip().rstrip("/")
        self._endpoint_origin = _origin(httpx.URL(self.endpoint)) if self.setup_error is None else ("", "", None)
        # token: a string is used as given, False means anonymous, None means huggingface_hub's lookup.
        self._token: str | None = None
        self._token_resolved = isinstance(token, str) or token is False
        if isinstance(token, str):
            self._token = token.strip() or None
        self.limiter = limiter or RateLimiter()
        self._warmer: ConnectionWarmer | None = None
        if transport is None and not _proxy_configured():
            # HTTP/2 (needs the h2 package) is offered to an https Hub through TLS (ALPN); plain http has no
            # negotiation, so there it is spoken outright (the simulator understands both).
            http1 = not (http2 and self.endpoint.startswith("http://"))
            transport, self._warmer = warm_transport(POOL_LIMITS, http1=http1, http2=http2)
        self._client = httpx.AsyncClient(
            follow_redirects=True,
            timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
            headers={"user-agent": f"mlx-manager/{__version__}"},
            event_hooks={"request": [self._on_request], "response": [self._on_response]},
            transport=transport,
        )

    def __repr__(self) -> str:
        state = "unresolved" if not self._token_resolved else ("set" if self._token else "none")
        return f"HubClient(endpoint={self.endpoint!r}, token={state})"

    async def __aenter__(self) -> HubClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._warmer is not None:
            await self._warmer.aclose()
        await self._client.aclose()

    async def warm_up(self, n: int = WARM_CONNECTIONS) -> int:
        """Have `n` connections to the Hub open and idle, so the next search and its first screen of
        configs pay no handshakes (TCP + TLS: two round trips each). Call it while the person types.
        Sends no HTTP request (nothing counts against the rate limits), never raises; returns how many
        connections are ready (0 when offline, behind a proxy, or unreachable)."""
        if self._warmer is None or self.setup_error is not None or offline_mode():
            return 0
        try:
            timeout = self._client.timeout.connect
            return await self._warmer.warm(httpx.URL(self.endpoint), n, timeout=timeout)
        except (httpx.HTTPError, OSError, ValueError):
            return 0

    @property
    def has_token(self) -> bool:
        """Whether requests to the Hub carry a token. The first call imports huggingface_hub to find it
        (~0.1 s): a GUI can call it once from a worker thread at startup."""
        return self._resolve_token() is not None

    def model_url(self, repo_id: str) -> str:
        return hub_model_url(repo_id, self.endpoint)

    def _resolve_token(self) -> str | None:
        if not self._token_resolved:
            self._token_resolved = True
            if os.environ.get("HF_HUB_DISABLE_IMPLICIT_TOKEN", "").strip().lower() in _TRUE:
                return None
            try:
                from huggingface_hub import get_token

                found = get_token()
            except Exception:  # a broken token file or install: anonymous, as huggingface_hub would be
                log.debug("the token lookup's traceback", exc_info=True)
                log.warning("no Hugging Face token could be read; going anonymous")
                found = None
            self._token = found.strip() if isinstance(found, str) and found.strip() else None
        return self._token

    def _is_hub(self, url: httpx.URL) -> bool:
        return _origin(url) == self._endpoint_origin

    # --- event hooks: run for every hop, redirects included ---

    async def _on_request(self, request: httpx.Request) -> None:
        call = _CALL.get()
        if not self._is_hub(request.url):
            request.headers.pop("authorization", None)  # never to a CDN or any other host
            return
        token = self._resolve_token()
        if token:
            request.headers["authorization"] = f"Bearer {token}"
            if call is not None:
                call.token_sent = True
        else:
            request.headers.pop("authorization", None)
        bucket = _bucket_for(request.url.path)
        wait = await self.limiter.acquire(bucket, max_wait=call.max_wait if call else None)
        if wait is not None:
            raise _WouldWait(wait, bucket)
        if call is not None:
            call.pending.append(bucket)

    async def _on_response(self, response: httpx.Response) -> None:
        if not self._is_hub(response.request.url):
            return
        bucket = _bucket_for(response.request.url.path)
        call = _CALL.get()
        if call is not None and bucket in call.pending:
            call.pending.remove(bucket)
        self.limiter.note_done(bucket)
        info = parse_rate_limit(response.headers)
        if info is not None:
            self.limiter.observe(info)
        if response.status_code == 429:
            after = retry_after_seconds(response.headers)
            resume = self.limiter.note_rate_limited(info.bucket if info else bucket, after)
            wait = max(0.0, resume - self.limiter.clock())
            if call is not None:
                call.limited = RateLimited(wait, info.bucket if info else bucket)

    def _begin(self, max_wait: float | None) -> tuple[_Call, contextvars.Token[_Call | None]]:
        call = _Call(max_wait=max_wait)
        return call, _CALL.set(call)

    def _end(self, call: _Call, reset: contextvars.Token[_Call | None]) -> None:
        for bucket in call.pending:  # requests that never got a response (errors, cancellation)
            self.limiter.note_done(bucket)
        call.pending.clear()
        _CALL.reset(reset)

    # --- search ---

    async def search(
        self,
        query: str = "",
        *,
        author: str | None = None,
        sort: str = "downloads",
        limit: int = 50,
        cursor: str | None = None,
        filters: Sequence[str] = ("mlx",),
        pipeline_tag: str | None = None,
        num_parameters: str | None = None,
        max_wait: float | None = 5.0,
    ) -> SearchPage:
        """One page of `/api/models`. `cursor` is a previous page's `next_cursor`. Raises HubError."""
        if self.setup_error is not None:
            raise HubError(Failed(self.setup_error))
        if offline_mode():
            raise HubError(Offline("HF_HUB_OFFLINE is set"))
        if cursor is not None:
            url = httpx.URL(cursor)
            if not self._is_hub(url):
                raise HubError(Failed("the next-page link points away from the Hub"))
            request_url: httpx.URL | str = url
            params: list[tuple[str, str | int | float | bool | None]] | None = None
        else:
            request_url = f"{self.endpoint}/api/models"
            params = []
            if query.strip():
                params.append(("search", query.strip()))
            if author:
                params.append(("author", author))
            params += [("filter", f) for f in filters]
            if pipeline_tag:
                params.append(("pipeline_tag", pipeline_tag))
            if num_parameters:
                params.append(("num_parameters", num_parameters))
            params.append(("sort", server_sort(sort)))
            params.append(("limit", str(max(1, min(int(limit), 1000)))))
            params += [("expand", e) for e in SEARCH_EXPAND]
        call, reset = self._begin(max_wait)
        try:
            try:
                async with self._client.stream("GET", request_url, params=params,
                                               headers={"accept": "application/json"}) as response:
                    outcome = _status_failure(response, call, self, None)
                    if outcome is not None:
                        raise HubError(outcome)
                    body = await _read_capped(response, MAX_LISTING_BYTES)
                    if body is None:
                        raise HubError(Failed("the Hub sent an oversized listing"))
                    links = response.links
                    total_header = response.headers.get("x-total-count", "")
            except httpx.HTTPError as exc:
                raise HubError(_transport_failure(exc, self.endpoint)) from None
            except _WouldWait as exc:
                raise HubError(RateLimited(exc.wait, exc.bucket)) from None
        finally:
            self._end(call, reset)
        try:
            items = json.loads(body)
        except (ValueError, RecursionError):
            raise HubError(Failed("the Hub's listing is not valid JSON", retryable=True)) from None
        if not isinstance(items, list):
            raise HubError(Failed("the Hub's listing is not a list of models"))
        entries = [e for e in (entry_from_listing(item) for item in items) if e is not None]
        next_url = links.get("next", {}).get("url")
        if next_url is not None and not self._is_hub(httpx.URL(next_url)):
            next_url = None  # a next page on another host would be followed with our pacing and token
        total = int(total_header) if total_header.isdigit() else None
        return SearchPage(entries, next_url, total)

    # --- config.json ---

    async def fetch_config(self, repo_id: str, *, etag: str | None = None,
                           max_wait: float | None = None) -> ConfigOutcome:
        """`GET {endpoint}/{id}/resolve/main/config.json`; never raises for network or server trouble."""
        try:
            repo_id = validate_model_id(repo_id)
        except InvalidModelId as exc:
            return Failed(str(exc))
        if self.setup_error is not None:
            return Failed(self.setup_error)
        if offline_mode():
            return Offline("HF_HUB_OFFLINE is set")
        org, name = repo_id.split("/")
        url = f"{self.endpoint}/{quote(org)}/{quote(name)}/resolve/main/config.json"
        headers = {"accept": "application/json"}
        if etag:
            headers["if-none-match"] = etag
        call, reset = self._begin(max_wait)
        try:
            async with self._client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return NotModified(response.headers.get("etag") or etag)
                failure = _status_failure(response, call, self, repo_id)
                if failure is not None:
                    return failure
                body = await _read_capped(response, MAX_CONFIG_BYTES)
                if body is None:
                    return Failed(f"config.json is larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MiB; "
                                  "not a real config")
                new_etag = response.headers.get("etag")
                commit = response.headers.get("x-repo-commit")
        except httpx.HTTPError as exc:
            return _transport_failure(exc, self.endpoint)
        except _WouldWait as exc:
            return RateLimited(exc.wait, exc.bucket)
        finally:
            self._end(call, reset)
        try:
            config = parse_config_object(body)
        except ConfigError as exc:
            return Failed(f"config.json is {exc}")
        return ConfigOk(config, new_etag, commit)


def _proxy_configured() -> bool:
    # httpx honours proxy settings only for a client without a transport of ours: keep it that way then.
    return bool({"http", "https", "all"} & set(getproxies()))


def _bucket_for(path: str) -> str:
    return RESOLVERS if "/resolve/" in path or path.startswith("/api/resolve-cache/") else API


async def _read_capped(response: httpx.Response, cap: int) -> bytes | None:
    """The body, or None as soon as it exceeds `cap` (never buffering more than cap + one chunk)."""
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > cap:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _status_failure(
    response: httpx.Response, call: _Call, client: HubClient, repo_id: str | None
) -> Failure | None:
    status = response.status_code
    if status < 300:
        return None
    code = response.headers.get("x-error-code", "")
    message = response.headers.get("x-error-message", "")
    if status == 429:
        if call.limited is not None:
            return call.limited
        bucket = _bucket_for(response.request.url.path)
        return RateLimited(retry_after_seconds(response.headers) or 30.0, bucket)
    if code == "GatedRepo" and repo_id is not None:
        kind: Literal["no_token", "not_approved"] = "not_approved" if call.token_sent else "no_token"
        return Gated(kind, client.model_url(repo_id))
    if code == "EntryNotFound":
        return NoConfig("the repository has no config.json (GGUF-only or not a transformers model)")
    if code in ("RepoNotFound", "RevisionNotFound"):
        return NotFound()
    if message == "Invalid credentials in Authorization header":
        return Failed("your Hugging Face token was rejected (invalid credentials); log in again")
    if message == "Access to this resource is disabled.":
        return Failed("this repository has been disabled on the Hub")
    if status in (401, 404):
        return NotFound()
    if status == 408 or status >= 500:
        return Failed(f"the Hub answered {status} (server trouble)", retryable=True)
    return Failed(f"the Hub answered {status}" + (f": {message[:120]}" if message else ""))


def _transport_failure(exc: httpx.HTTPError, endpoint: str) -> Failure:
    host = httpx.URL(endpoint).host
    if isinstance(exc, httpx.ConnectTimeout):
        return Offline(f"cannot reach {host} (connection timed out)")
    if isinstance(exc, httpx.ConnectError):
        return Offline(f"cannot reach {host}")
    if isinstance(exc, httpx.TimeoutException):
        return Failed("timed out waiting for the Hub", retryable=True)
    if isinstance(exc, httpx.RemoteProtocolError):
        return Failed("the connection closed before the answer was complete", retryable=True)
    if isinstance(exc, httpx.NetworkError):
        return Failed(f"network error talking to {host}", retryable=True)
    if isinstance(exc, httpx.TooManyRedirects):
        return Failed("too many redirects")
    if isinstance(exc, httpx.DecodingError):
        return Failed("the Hub's answer could not be decoded", retryable=True)
    return Failed(f"request failed ({type(exc).__name__})", retryable=True)

