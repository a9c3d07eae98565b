"""Signed member links and form tokens: pure HMAC-SHA256, no database.

A link token is ``<payload>.<signature>``, both base64url: the payload is a compact JSON list
naming the purpose, studio, customer, link epoch, expiry (and language, or the unsubscribed
category and channel); the signature is an HMAC over the payload with a key derived from the
link secret for that use. Changing any byte (e.g. the customer id) breaks the signature, and a
preference token is no unsubscribe token. Revocation is the epoch: the database holds the
customer's current one (``customers.link_epoch``), erasure raises it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from studio_comms.core.messages import SUPPORTED_LANGUAGES
from studio_comms.core.vocabulary import CommunicationChannel, MessageCategory

MAX_TOKEN_LENGTH = 1024
FORM_TOKEN_LIFETIME = timedelta(hours=2)
# A form rendered by another process whose clock runs a little ahead is still fine.
_CLOCK_SKEW = timedelta(minutes=5)


class LinkPurpose(StrEnum):
    PREFERENCES = "p"
    UNSUBSCRIBE = "u"


class TokenInvalid(Exception):
    """Not a token we signed for this purpose (malformed, forged, tampered or re-pointed)."""


class TokenExpired(Exception):
    """A genuine token past its expiry."""


@dataclass(frozen=True, slots=True)
class LinkClaims:
    purpose: LinkPurpose
    studio_id: int
    customer_id: int
    epoch: int
    expires_at: datetime
    language: str | None = None
    category: MessageCategory | None = None
    channel: CommunicationChannel | None = None


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(secret: bytes, use: str) -> bytes:
    return hmac.new(secret, f"studio-comms/{use}/v1".encode(), hashlib.sha256).digest()


class LinkSigner:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("the link secret must be at least 32 bytes")
        self._keys = {purpose: _derive(secret, f"link-{purpose.value}") for purpose in LinkPurpose}
        self._form_key = _derive(secret, "form")
        self._return_path_key = _derive(secret, "return-path")

    def sign(self, claims: LinkClaims) -> str:
        fields: list[object] = [
            claims.studio_id,
            claims.customer_id,
            claims.epoch,
            int(claims.expires_at.timestamp()),
        ]
        if claims.purpose is LinkPurpose.PREFERENCES:
            fields.append(claims.language)
        else:
            assert claims.category is not None
            assert claims.channel is not None
            fields += [claims.category.value, claims.channel.value]
        payload = _b64encode(json.dumps(fields, separators=(",", ":")).encode())
        return f"{payload}.{self._mac(claims.purpose, payload)}"

    def verify(self, token: str, purpose: LinkPurpose, *, now: datetime) -> LinkClaims:
        """The claims of a genuine, unexpired token for ``purpose``; raises otherwise."""
        payload, dot, signature = token.partition(".")
        if not dot or len(token) > MAX_TOKEN_LENGTH:
            raise TokenInvalid()
        if not hmac.compare_digest(signature.encode(), self._mac(purpose, payload).encode()):
            raise TokenInvalid()
        try:
            claims = _parse(purpose, json.loads(_b64decode(payload)))
        except (ValueError, TypeError, KeyError, binascii.Error) as error:
            raise TokenInvalid() from error
        if now >= claims.expires_at:
            raise TokenExpired()
        return claims

    def _mac(self, purpose: LinkPurpose, payload: str) -> str:
        return _b64encode(hmac.new(self._keys[purpose], payload.encode(), hashlib.sha256).digest())

    # Return-path tags: proof that a bounce was sent back to the envelope sender of this message
    # (VERP, ``bounces+{studioId}.{messageId}.{tag}@…``): a forger cannot make one for a number.

    def return_path_tag(self, studio_id: int, message_id: int) -> str:
        mac = hmac.new(self._return_path_key, f"{studio_id}.{message_id}".encode(), hashlib.sha256).digest()
        # 80 bits in lower-case base32: local parts are often lower-cased on the way back.
        return base64.b32encode(mac[:10]).decode().lower()

    def return_path_tag_valid(self, studio_id: int, message_id: int, tag: str) -> bool:
        return hmac.compare_digest(tag.lower().encode(), self.return_path_tag(studio_id, message_id).encode())

    # Form tokens: proof that a form was rendered by us, for this link and this step.

    def form_token(self, link_token: str, action: str, *, now: datetime) -> str:
        issued = str(int(now.timestamp()))
        nonce = secrets.token_urlsafe(12)
        return f"{issued}.{nonce}.{self._form_mac(link_token, action, issued, nonce)}"

    def form_token_valid(self, value: str, link_token: str, action: str, *, now: datetime) -> bool:
        issued, _, rest = value.partition(".")
        nonce, _, mac = rest.partition(".")
        if not (issued.isdigit() and nonce and mac):
            return False
        if not hmac.compare_digest(mac.encode(), self._form_mac(link_token, action, issued, nonce).encode()):
            return False
        issued_at = datetime.fromtimestamp(int(issued), UTC)
        return issued_at - _CLOCK_SKEW <= now <= issued_at + FORM_TOKEN_LIFETIME

    def _form_mac(self, link_token: str, action: str, issued: str, nonce: str) -> str:
        message = "|".join((action, issued, nonce, link_token)).encode()
        return _b64encode(hmac.new(self._form_key, message, hashlib.sha256).digest())


def _parse(purpose: LinkPurpose, fields: object) -> LinkClaims:
    if not isinstance(fields, list) or not all(isinstance(f, int) for f in fields[:4]):
        raise ValueError("malformed claims")
    studio_id, customer_id, epoch, expires = fields[:4]
    common = {
        "purpose": purpose,
        "studio_id": studio_id,
        "customer_id": customer_id,
        "epoch": epoch,
        "expires_at": datetime.fromtimestamp(expires, UTC),
    }
    if purpose is LinkPurpose.PREFERENCES:
        (language,) = fields[4:]
        if language is not None and language not in SUPPORTED_LANGUAGES:
            raise ValueError("unknown language")
        return LinkClaims(**common, language=language)
    category, channel = fields[4:]
    return LinkClaims(**common, category=MessageCategory(category), channel=CommunicationChannel(channel))
