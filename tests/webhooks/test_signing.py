from __future__ import annotations

import json
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from studio_comms.webhooks.signing import envelope, headers, new_api_key, new_signing_secret


def test_envelope_is_the_sport_alliance_shape() -> None:
    body = envelope(
        entity_id=42,
        event_uuid="0b5c0a34-8f3b-4bb8-9d8e-2b0e6d1c3f00",
        event_type="CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED",
        occurred_at=datetime(2026, 11, 27, 9, 0, 0, 250000, tzinfo=UTC),
        content=None,
    )
    assert json.loads(body) == {
        "entityId": 42,
        "uuid": "0b5c0a34-8f3b-4bb8-9d8e-2b0e6d1c3f00",
        "payload": [{"timestamp": 1795770000250, "type": "CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED"}],
    }


def test_content_is_included_when_the_event_has_some() -> None:
    body = envelope(
        entity_id=1, event_uuid="u", event_type="COMMUNICATION_CREATED",
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC), content={"threadId": 5},
    )  # fmt: skip
    assert json.loads(body)["payload"][0]["content"] == {"threadId": 5}


def test_signed_headers_verify_with_the_standard_library() -> None:
    secret = new_signing_secret()
    body = '{"entityId":1}'
    sent = headers(
        api_key="k", signing_secret=secret, event_uuid="msg_1", body=body, sent_at=datetime.now(UTC)
    )
    assert Webhook(secret).verify(body, sent) == {"entityId": 1}
    assert sent["webhook-id"] == "msg_1"
    assert sent["webhook-signature"].startswith("v1,")


def test_credentials_are_fresh_each_time() -> None:
    assert new_signing_secret() != new_signing_secret()
    assert new_api_key() != new_api_key()
    assert len(Webhook(new_signing_secret())._whsecret) == 32
