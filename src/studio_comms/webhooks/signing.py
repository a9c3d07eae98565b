"""Credentials of a subscription, and the signed request body (Standard Webhooks)."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret


def new_signing_secret() -> str:
    """``whsec_`` + base64 of 32 random bytes: the format every Standard Webhooks library reads."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def new_api_key() -> str:
    """The value sent as ``x-api-key``; UUID-shaped like Sport Alliance's "Webhook Token"."""
    return str(uuid.uuid4())


def envelope(
    *, entity_id: int, event_uuid: str, event_type: str, occurred_at: datetime, content: dict[str, Any] | None
) -> str:
    """The Sport Alliance body: one event per request, its timestamp in epoch milliseconds."""
    event: dict[str, Any] = {"timestamp": int(occurred_at.timestamp() * 1000), "type": event_type}
    if content is not None:
        event["content"] = content
    return json.dumps({"entityId": entity_id, "uuid": event_uuid, "payload": [event]}, separators=(",", ":"))


def headers(
    *, api_key: str, signing_secret: str, event_uuid: str, body: str, sent_at: datetime
) -> dict[str, str]:
    """``webhook-id`` is the event's uuid, the same on every retry, so receivers can deduplicate.

    ``sent_at`` is the wall-clock time of this attempt: receivers reject timestamps more than
    five minutes away from their own clock.
    """
    signature = Webhook(signing_secret).sign(event_uuid, sent_at.astimezone(UTC), body)
    return {
        "content-type": "application/json",
        "x-api-key": api_key,
        "webhook-id": event_uuid,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature,
    }
