"""Signing event requests exactly as each provider documents it, with locally generated keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from httpx import Response

from tests.bounces.helpers import SUPPRESSIONS, entries, permitted

MAIL_PROVIDER = "/admin/v1/studios/{}/mail-provider"
EVENTS = "/mail-events/{}/{}"
JSON = {"Content-Type": "application/json"}
POSTMARK_USER = "postmark-hooks"
POSTMARK_PASSWORD = "correct-horse-battery-staple"
MAILGUN_KEY = "key-0123456789abcdef0123456789abcdef"


def configure(admin: TestClient, studio_id: int, body: dict[str, Any]) -> dict[str, Any]:
    response = admin.put(MAIL_PROVIDER.format(studio_id), json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def postmark_config() -> dict[str, str]:
    return {"provider": "POSTMARK", "username": POSTMARK_USER, "password": POSTMARK_PASSWORD}


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {**JSON, "Authorization": f"Basic {token}"}


def post_postmark(
    client: TestClient, studio_id: int, event: dict[str, Any], password: str = POSTMARK_PASSWORD
) -> Response:
    return client.post(
        EVENTS.format("postmark", studio_id),
        content=json.dumps(event),
        headers=basic(POSTMARK_USER, password),
    )


def mailgun_signed(
    event_data: dict[str, Any], now: datetime, key: str = MAILGUN_KEY, token: str | None = None
) -> bytes:
    """Mailgun's body: ``signature`` = hex HMAC-SHA256(signing key, timestamp + token)."""
    timestamp = str(int(now.timestamp()))
    token = token or secrets.token_hex(25)
    digest = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    body = {
        "signature": {"timestamp": timestamp, "token": token, "signature": digest},
        "event-data": event_data,
    }
    return json.dumps(body).encode()


def post_mailgun(client: TestClient, studio_id: int, body: bytes) -> Response:
    return client.post(EVENTS.format("mailgun", studio_id), content=body, headers=JSON)


class SendgridKey:
    """A P-256 key pair like the one SendGrid's Signed Event Webhook signs with."""

    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        der = self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.verification_key = base64.b64encode(der).decode()

    def headers(self, body: bytes, now: datetime) -> dict[str, str]:
        """Signature: base64 DER ECDSA/SHA-256 over ``timestamp + payload``."""
        timestamp = str(int(now.timestamp()))
        signature = self.private.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return {
            **JSON,
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
        }


def post_sendgrid(
    client: TestClient, studio_id: int, key: SendgridKey, events: list[dict[str, Any]], now: datetime
) -> Response:
    body = json.dumps(events).encode()
    return client.post(EVENTS.format("sendgrid", studio_id), content=body, headers=key.headers(body, now))


def suppressions(admin: TestClient, studio_id: int, customer_id: int = 1) -> list[str]:
    found = admin.get(SUPPRESSIONS.format(studio_id, customer_id)).json()
    return sorted(entry["reason"] for entry in found)


def status(api: TestClient, message_id: int) -> str:
    value: str = api.get(f"/v1/messages/{message_id}").json()["status"]
    return value


def untouched(api: TestClient, admin: TestClient, studio_id: int, customer_id: int = 1) -> None:
    assert admin.get(SUPPRESSIONS.format(studio_id, customer_id)).json() == []
    assert entries(api, customer_id, "BOUNCE") == []
    assert entries(api, customer_id, "COMPLAINT") == []
    assert permitted(api, customer_id, "GENERAL")["permitted"] is True


def result(response: Response) -> dict[str, int]:
    assert response.status_code == 200, response.text
    body: dict[str, int] = response.json()
    return body
