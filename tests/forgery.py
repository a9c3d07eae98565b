"""Forging a signed token in tests: a change that can never give back the original.

Replacing a token's last character by a fixed one ("A") leaves it unchanged whenever it already
ended in that character (19 failures in 320 runs were seen); flipping a bit of the decoded
signature always changes it.
"""

from __future__ import annotations

import base64


def with_flipped_signature(token: str) -> str:
    """``token`` (``….signature``, URL-safe base64 without padding) with one signature bit flipped."""
    head, dot, signature = token.rpartition(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[len(raw) // 2] ^= 0x01
    flipped = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    assert flipped != signature
    return f"{head}{dot}{flipped}"
