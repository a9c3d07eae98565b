"""Twilio's request signature (``X-Twilio-Signature``), as its security documentation defines it.

The signed text is the full URL Twilio requested (as configured there, query string included)
followed by every POST parameter, sorted by name, each written as name then value without any
separator; the signature is base64(HMAC-SHA1(auth token, that text)). A parameter sent several
times contributes each value, values in sorted order (as Twilio's own helper libraries do).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable


def signed_text(url: str, params: Iterable[tuple[str, str]]) -> str:
    return url + "".join(name + value for name, value in sorted(params))


def sign(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    digest = hmac.new(auth_token.encode(), signed_text(url, params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def is_valid(auth_token: str, url: str, params: Iterable[tuple[str, str]], signature: str | None) -> bool:
    if not signature:
        return False
    expected = sign(auth_token, url, params)
    return hmac.compare_digest(expected.encode(), signature.encode())
