"""Whether huggingface_hub finds a token, and where it comes from, for the Preferences window.

The token itself never leaves this module whole: only a masked form ("hf_…x7Qz") and its source.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

LOGIN_HINT = ("Run “hf auth login” in a terminal (or set HF_TOKEN) to use gated models; "
              "create a read token at huggingface.co/settings/tokens.")
_TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class TokenStatus:
    found: bool
    source: str  # where it comes from, in words ("" when not found)
    masked: str  # never the whole token
    used: bool  # whether the app sends it (HF_HUB_DISABLE_IMPLICIT_TOKEN turns that off)

    def describe(self) -> str:
        if not self.found:
            return "No Hugging Face token found. " + LOGIN_HINT
        text = f"Token {self.masked} found in {self.source}."
        if not self.used:
            text += " HF_HUB_DISABLE_IMPLICIT_TOKEN is set, so it is not sent."
        return text


def mask(token: str) -> str:
    token = token.strip()
    if len(token) <= 10:
        return "…"
    return f"{token[:3]}…{token[-4:]}"


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.replace("\r", "").replace("\n", "").strip()
    return value or None


def token_status() -> TokenStatus:
    """As huggingface_hub sees it (imports it: call from a worker thread)."""
    from huggingface_hub import constants, get_token

    try:
        token = _clean(get_token())
    except Exception as exc:  # noqa: BLE001 - an OIDC exchange that failed: said without details that could leak
        return TokenStatus(False, "", "", False) if not os.environ.get("HF_OIDC_RESOURCE") else TokenStatus(
            False, f"an OIDC exchange that failed ({type(exc).__name__})", "", False)
    if token is None:
        return TokenStatus(False, "", "", False)
    used = os.environ.get("HF_HUB_DISABLE_IMPLICIT_TOKEN", "").strip().lower() not in _TRUE
    if _clean(os.environ.get("HF_TOKEN")) == token:
        source = "the HF_TOKEN environment variable"
    elif _clean(os.environ.get("HUGGING_FACE_HUB_TOKEN")) == token:
        source = "the HUGGING_FACE_HUB_TOKEN environment variable"
    elif os.environ.get("HF_OIDC_RESOURCE"):
        source = "an OIDC token exchange (HF_OIDC_RESOURCE)"
    else:
        path = Path(constants.HF_TOKEN_PATH)
        try:
            in_file = _clean(path.read_text()) is not None
        except OSError:
            in_file = False
        source = f"the token file {path}" if in_file else "huggingface_hub's login"
    return TokenStatus(True, source, mask(token), used)
