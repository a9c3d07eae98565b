"""Each provider's proof that a request is its own, checked exactly as the provider documents it.

- Postmark: HTTP basic auth with the user name and password set in the webhook's URL settings.
- Mailgun: ``signature.signature`` = hex HMAC-SHA256 of ``timestamp + token`` keyed with the
  domain's HTTP webhook signing key. The signature covers neither the body nor the URL, so the
  timestamp must be recent and the token is single-use (the caller records it).
- SendGrid (Signed Event Webhook): ``X-Twilio-Email-Event-Webhook-Signature`` = base64 DER ECDSA
  P-256/SHA-256 signature of ``timestamp + raw body`` (the ``…-Timestamp`` header), verified with
  the verification key the console shows (base64 DER SubjectPublicKeyInfo).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

# How old a signed timestamp may be (and how far ahead a clock may run).
MAX_AGE = timedelta(minutes=5)


def basic_auth_valid(header: str | None, username: str, password: str) -> bool:
    if not header or header[:6].lower() != "basic ":
        return False
    try:
        given = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user, colon, secret = given.partition(":")
    # Both compared in constant time, always both (no early answer on a wrong user name).
    user_ok = hmac.compare_digest(user.encode(), username.encode())
    secret_ok = hmac.compare_digest(secret.encode(), password.encode())
    return bool(colon) and user_ok and secret_ok


def fresh(timestamp: str, now: datetime) -> bool:
    """A Unix timestamp (seconds) no older than ``MAX_AGE`` and no further ahead."""
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    return abs(now.timestamp() - int(timestamp)) <= MAX_AGE.total_seconds()


def mailgun_valid(signing_key: str, timestamp: str, token: str, signature: str) -> bool:
    expected = hmac.new(signing_key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return signature.isascii() and hmac.compare_digest(expected, signature.lower())


def sendgrid_key(verification_key: str) -> ec.EllipticCurvePublicKey | None:
    """The P-256 public key the base64 DER text holds, or None."""
    try:
        key = load_der_public_key(base64.b64decode(verification_key.strip(), validate=True))
    except (binascii.Error, ValueError, TypeError):
        return None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        return None
    return key


def sendgrid_valid(verification_key: str, timestamp: str, body: bytes, signature: str) -> bool:
    key = sendgrid_key(verification_key)
    if key is None:
        return False
    try:
        der = base64.b64decode(signature.strip(), validate=True)
        key.verify(der, timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True
