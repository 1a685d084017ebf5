"""The Hub's address: the default, reading `HF_ENDPOINT`'s value strictly, and the links built on it.

The one place that knows "https://huggingface.co"; the services read the environment and pass its value.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

DEFAULT_ENDPOINT = "https://huggingface.co"


class InvalidEndpoint(ValueError):
    """The configured Hub address is not an http(s) URL; the message names where it came from."""


def parse_endpoint(raw: str | None, *, source: str = "HF_ENDPOINT") -> str:
    """The Hub address without a trailing slash; the default when `raw` is None or blank.

    Raises InvalidEndpoint for anything that is not an absolute http(s) URL with a host, so that a typo
    is a setup error in words rather than a "request failed (UnsupportedProtocol)" later.
    """
    text = (raw or "").strip()
    if not text:
        return DEFAULT_ENDPOINT
    try:
        parts = urlsplit(text)
        scheme, host = parts.scheme.lower(), parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        scheme, host = "", None
    if scheme not in ("http", "https") or not host:
        raise InvalidEndpoint(f"{source}={text!r} is not an http(s) address such as {DEFAULT_ENDPOINT}")
    return text.rstrip("/")


def model_url(repo_id: str, endpoint: str = DEFAULT_ENDPOINT) -> str:
    """The model's page on the Hub."""
    return f"{endpoint.rstrip('/')}/{quote(repo_id, safe='/')}"
