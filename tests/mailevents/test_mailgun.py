"""Mailgun's webhooks: HMAC-SHA256 of timestamp + token with the signing key; tokens single-use."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from studio_comms.outbox.worker import Worker
from tests.assertions import assert_error
from tests.bounces.helpers import entries, sent
from tests.conftest import FixedClock
from tests.factories import World
from tests.mailevents.helpers import (
    MAILGUN_KEY,
    configure,
    mailgun_signed,
    post_mailgun,
    result,
    status,
    suppressions,
    untouched,
)


def mailgun(admin: TestClient, studio_id: int) -> None:
    configure(admin, studio_id, {"provider": "MAILGUN", "signingKey": MAILGUN_KEY})


def failed(
    header: str,
    event_id: str = "G9Bn5sl1TC6nu79C8C0bwg",
    severity: str = "permanent",
    code: int = 550,
    message: str = "5.1.1 The email account that you tried to reach does not exist.",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": event_id,
        "event": "failed",
        "severity": severity,
        "reason": "bounce",
        "timestamp": 1764234000.0,
        "recipient": "member1@example.org",
        # Mailgun quotes the Message-ID header without its angle brackets.
        "message": {"headers": {"message-id": header.strip("<>"), "to": "member1@example.org"}},
        "delivery-status": {"code": code, "message": message, "description": ""},
        **extra,
    }


def test_signed_forged_and_stale_requests(
    api: TestClient, admin: TestClient, provider: TestClient, world: World, worker: Worker, clock: FixedClock
) -> None:
    mailgun(admin, world.studio_a)
    message_id, header = sent(api, worker)
    event = failed(header)
    forged = mailgun_signed(event, clock.now, key="key-not-the-studios-signing-key-00")
    assert_error(post_mailgun(provider, world.studio_a, forged), 403, "MAIL_EVENT_SIGNATURE_INVALID")
    unsigned = json.dumps({"event-data": event}).encode()
    assert_error(post_mailgun(provider, world.studio_a, unsigned), 403, "MAIL_EVENT_SIGNATURE_INVALID")
    stale = mailgun_signed(event, clock.now - timedelta(minutes=6))
    assert_error(
        post_mailgun(provider, world.studio_a, stale), 403, "MAIL_EVENT_SIGNATURE_INVALID", "timestamp"
    )
    # Nothing was recorded by the refused requests: the genuine one acts.
    untouched(api, admin, world.studio_a)
    assert result(post_mailgun(provider, world.studio_a, mailgun_signed(event, clock.now)))["acted"] == 1
    assert suppressions(admin, world.studio_a) == ["BOUNCED"]
    assert status(api, message_id) == "BOUNCED"
    assert all(e["actor"] == "mailgun:G9Bn5sl1TC6nu79C8C0bwg" for e in entries(api, 1, "BOUNCE"))


def test_a_replayed_token_is_refused_and_a_repeated_event_adds_nothing(
    api: TestClient, admin: TestClient, provider: TestClient, world: World, worker: Worker, clock: FixedClock
) -> None:
    mailgun(admin, world.studio_a)
    _, header = sent(api, worker)
    body = mailgun_signed(
        failed(header, severity="temporary", code=452, message="4.2.2 mailbox full"),
        clock.now,
        token="a" * 50,
    )
    assert result(post_mailgun(provider, world.studio_a, body))["acted"] == 1
    assert_error(post_mailgun(provider, world.studio_a, body), 403, "MAIL_EVENT_SIGNATURE_INVALID", "token")
    # The token with another body (the signature covers none): refused all the same.
    swapped = json.loads(body)
    swapped["event-data"] = failed(header, event_id="other")
    assert_error(
        post_mailgun(provider, world.studio_a, json.dumps(swapped).encode()),
        403,
        "MAIL_EVENT_SIGNATURE_INVALID",
        "token",
    )
    untouched(api, admin, world.studio_a)  # the soft bounce changed nothing for the member
    # The same event again under a fresh token (Mailgun's retry): a duplicate.
    again = mailgun_signed(
        failed(header, severity="temporary", code=452, message="4.2.2 mailbox full"), clock.now
    )
    assert result(post_mailgun(provider, world.studio_a, again))["duplicates"] == 1


def test_complained_delivered_unsubscribed(
    api: TestClient, admin: TestClient, provider: TestClient, world: World, worker: Worker, clock: FixedClock
) -> None:
    mailgun(admin, world.studio_a)
    message_id, header = sent(api, worker)
    delivered = {**failed(header, event_id="d1"), "event": "delivered"}
    assert result(post_mailgun(provider, world.studio_a, mailgun_signed(delivered, clock.now)))["acted"] == 1
    assert status(api, message_id) == "DELIVERED"
    opened = {**failed(header, event_id="o1"), "event": "opened"}
    assert result(post_mailgun(provider, world.studio_a, mailgun_signed(opened, clock.now)))["ignored"] == 1
    complained = {**failed(header, event_id="c1"), "event": "complained"}
    assert result(post_mailgun(provider, world.studio_a, mailgun_signed(complained, clock.now)))["acted"] == 1
    assert suppressions(admin, world.studio_a) == ["COMPLAINED"]


def test_another_studios_message_changes_nothing(
    api: TestClient, admin: TestClient, provider: TestClient, world: World, worker: Worker, clock: FixedClock
) -> None:
    mailgun(admin, world.studio_b)
    _, header = sent(api, worker)  # studio A's message, reported to studio B's URL with B's key
    assert (
        result(post_mailgun(provider, world.studio_b, mailgun_signed(failed(header), clock.now)))[
            "unattributed"
        ]
        == 1
    )
    untouched(api, admin, world.studio_a)


def test_malformed(admin: TestClient, provider: TestClient, world: World, clock: FixedClock) -> None:
    mailgun(admin, world.studio_a)
    assert_error(post_mailgun(provider, world.studio_a, b"{nope"), 400, "MAIL_EVENT_MALFORMED")
    no_data = mailgun_signed({}, clock.now)
    assert_error(post_mailgun(provider, world.studio_a, no_data), 400, "MAIL_EVENT_MALFORMED", "event-data")
    # The refused request recorded no token: nothing half-written.
    again = json.loads(no_data)
    again["event-data"] = {"id": "x1", "event": "opened"}
    assert result(post_mailgun(provider, world.studio_a, json.dumps(again).encode()))["ignored"] == 1
