"""SendGrid's Signed Event Webhook: ECDSA P-256 over timestamp + payload, a batch of events."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from studio_comms.outbox.worker import Worker
from tests.assertions import assert_error
from tests.bounces.helpers import PREFS, permitted, sent
from tests.conftest import FixedClock
from tests.factories import World
from tests.mailevents.helpers import (
    EVENTS,
    SendgridKey,
    configure,
    post_sendgrid,
    result,
    status,
    suppressions,
    untouched,
)


@pytest.fixture
def key(admin: TestClient, world: World) -> SendgridKey:
    generated = SendgridKey()
    configure(admin, world.studio_a, {"provider": "SENDGRID", "verificationKey": generated.verification_key})
    return generated


def event(header: str, name: str, event_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "email": "member1@example.org",
        "timestamp": 1764234000,
        "smtp-id": header,  # the Message-ID of the mail SendGrid relayed over SMTP
        "event": name,
        "sg_event_id": event_id,
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        **extra,
    }


def hard(header: str, event_id: str = "sg-bounce-1") -> dict[str, Any]:
    return event(
        header,
        "bounce",
        event_id,
        type="bounce",
        status="5.1.1",
        reason="550 5.1.1 The email account does not exist",
    )


def test_signed_forged_and_stale(
    api: TestClient,
    admin: TestClient,
    provider: TestClient,
    world: World,
    worker: Worker,
    clock: FixedClock,
    key: SendgridKey,
) -> None:
    message_id, header = sent(api, worker)
    body = json.dumps([hard(header)]).encode()
    url = EVENTS.format("sendgrid", world.studio_a)
    signed = key.headers(body, clock.now)
    # Signed by another key; the body changed after signing; no signature; a stale timestamp.
    other = SendgridKey().headers(body, clock.now)
    assert_error(provider.post(url, content=body, headers=other), 403, "MAIL_EVENT_SIGNATURE_INVALID")
    tampered = body.replace(b"member1@", b"member2@")
    assert_error(provider.post(url, content=tampered, headers=signed), 403, "MAIL_EVENT_SIGNATURE_INVALID")
    unsigned = {"Content-Type": "application/json"}
    assert_error(provider.post(url, content=body, headers=unsigned), 403, "MAIL_EVENT_SIGNATURE_INVALID")
    garbage = {**signed, "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(b"junk").decode()}
    assert_error(provider.post(url, content=body, headers=garbage), 403, "MAIL_EVENT_SIGNATURE_INVALID")
    stale = key.headers(body, clock.now - timedelta(minutes=6))
    assert_error(
        provider.post(url, content=body, headers=stale), 403, "MAIL_EVENT_SIGNATURE_INVALID", "timestamp"
    )
    untouched(api, admin, world.studio_a)
    assert result(provider.post(url, content=body, headers=signed))["acted"] == 1
    assert suppressions(admin, world.studio_a) == ["BOUNCED"]
    assert status(api, message_id) == "BOUNCED"
    # The same request replayed (within the five minutes): every event a duplicate.
    assert result(provider.post(url, content=body, headers=signed))["duplicates"] == 1


def test_each_event_type_in_one_batch(
    api: TestClient,
    admin: TestClient,
    provider: TestClient,
    world: World,
    worker: Worker,
    clock: FixedClock,
    key: SendgridKey,
) -> None:
    opt_in = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}
    ]
    assert api.put(PREFS.format(1), json=opt_in).status_code == 200
    message_id, header = sent(api, worker)
    batch = [
        event(header, "processed", "p1"),
        event(header, "deferred", "df1", response="451 4.7.1 Greylisted, try again later", attempt="1"),
        event(
            header,
            "bounce",
            "b1",
            type="blocked",
            status="5.7.1",
            reason="550 5.7.1 Message rejected as spam",
        ),
        event(header, "delivered", "d1", response="250 OK"),
        event(header, "open", "o1"),
    ]
    answer = result(post_sendgrid(provider, world.studio_a, key, batch, clock.now))
    assert answer == {"received": 5, "acted": 3, "duplicates": 0, "unattributed": 0, "ignored": 2}
    untouched(api, admin, world.studio_a)  # deferred and a spam verdict: nothing for the member
    assert status(api, message_id) == "DELIVERED"
    unsubscribe = [event(header, "unsubscribe", "u1")]
    assert result(post_sendgrid(provider, world.studio_a, key, unsubscribe, clock.now))["acted"] == 1
    assert permitted(api, 1, "NEWSLETTER")["permitted"] is False
    assert permitted(api, 1, "APPOINTMENT")["permitted"] is True
    spam = [event(header, "spamreport", "s1")]
    assert result(post_sendgrid(provider, world.studio_a, key, spam, clock.now))["acted"] == 1
    assert suppressions(admin, world.studio_a) == ["COMPLAINED"]


def test_events_naming_no_message_of_the_studio_change_nothing(
    api: TestClient,
    admin: TestClient,
    provider: TestClient,
    world: World,
    worker: Worker,
    clock: FixedClock,
    key: SendgridKey,
) -> None:
    _, header = sent(api, worker)
    in_b = header.replace(f"studio-comms.{world.studio_a}.", f"studio-comms.{world.studio_b}.")
    batch = [
        hard(in_b, "x1"),
        {**hard(header, "x2"), "email": "member2@example.org"},
        hard("<14c5d75ce93.dfd.64b469@ismtpd-555>", "x3"),
        {**hard(header, "x4"), "smtp-id": None},
    ]
    answer = result(post_sendgrid(provider, world.studio_a, key, batch, clock.now))
    assert answer["unattributed"] == 4
    untouched(api, admin, world.studio_a)


def test_malformed(provider: TestClient, world: World, clock: FixedClock, key: SendgridKey) -> None:
    url = EVENTS.format("sendgrid", world.studio_a)
    for body in (
        b"{broken",
        b"{}",
        b"[]",
        b'[{"event": "bounce"}]',
        b'[{"sg_event_id": 5, "event": ["x"]}]',
        b"[1]",
    ):
        assert_error(
            provider.post(url, content=body, headers=key.headers(body, clock.now)),
            400,
            "MAIL_EVENT_MALFORMED",
        )
