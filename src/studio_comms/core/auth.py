"""API keys and the principal they stand for.

A key reads ``sck_<prefix>_<secret>``: the prefix finds the row, the SHA-256 of the whole key
proves it. The secret carries 256 random bits, so a fast hash is enough (no password stretching).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

KEY_MARKER = "sck"


class Scope(StrEnum):
    COMMUNICATION_PREFERENCES_READ = "COMMUNICATION_PREFERENCES_READ"
    COMMUNICATION_PREFERENCES_WRITE = "COMMUNICATION_PREFERENCES_WRITE"
    COMMUNICATION_READ = "COMMUNICATION_READ"
    COMMUNICATION_WRITE = "COMMUNICATION_WRITE"
    WEBHOOKS_MANAGE = "WEBHOOKS_MANAGE"
    # Official scope of GET /v1/studios/information.
    STUDIO_READ = "STUDIO_READ"
    # Official scope of the customer reads (getCustomerById, getCustomers, getCustomerBy,
    # searchCustomers).
    CUSTOMER_READ = "CUSTOMER_READ"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a studio's API key. Repositories filter by ``studio_id``."""

    studio_id: int
    key_id: int
    key_name: str
    scopes: frozenset[str]

    @property
    def actor(self) -> str:
        return f"apiKey:{self.key_id}"


@dataclass(frozen=True, slots=True)
class NewKey:
    prefix: str
    plaintext: str
    digest: str


def generate_key() -> NewKey:
    prefix = secrets.token_hex(6)
    plaintext = f"{KEY_MARKER}_{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(prefix=prefix, plaintext=plaintext, digest=digest_of(plaintext))


def digest_of(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def prefix_of(plaintext: str) -> str | None:
    marker, _, rest = plaintext.partition("_")
    prefix, _, secret = rest.partition("_")
    if marker != KEY_MARKER or len(prefix) != 12 or not secret:
        return None
    return prefix


def digest_matches(plaintext: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest_of(plaintext), stored_digest)
