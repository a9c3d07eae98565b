"""Postmark's webhooks (Bounce, SpamComplaint, Delivery, SubscriptionChange) with basic auth."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from studio_comms.outbox.worker import Worker
from tests.assertions import assert_error
from tests.bounces.helpers import PREFS, entries, permitted, sent
from tests.factories import World
from tests.mailevents.helpers import (
    EVENTS,
    JSON,
    basic,
    configure,
    post_postmark,
    postmark_config,
    result,
    status,
    suppressions,
    untouched,
)


def bounce(
    header: str, bounce_type: str = "HardBounce", details: str = "smtp;550 5.1.1 user unknown", **extra: Any
) -> dict[str, Any]:
    return {
        "RecordType": "Bounce",
        "ID": 4323372036854775807,
        "Type": bounce_type,
        "TypeCode": 1,
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Details": details,
        "Email": "member1@example.org",
        "BouncedAt": "2026-11-27T09:00:00Z",
        "Metadata": {"studio-comms-message-id": header},
        "MessageStream": "outbound",
        **extra,
    }


def change_id(header: str) -> str:
    return f"SubscriptionChange:{header}:member1@example.org:2026-11-27T09:05:00Z"


def test_basic_auth_good_bad_and_missing(
    api: TestClient, admin: TestClient, provider: TestClient, world: World, worker: Worker
) -> None:
    configure(admin, world.studio_a, postmark_config())
    message_id, header = sent(api, worker)
    url = EVENTS.format("postmark", world.studio_a)
    event = bounce(header)
    assert_error(
        post_postmark(provider, world.studio_a, event, password="wrong-password-1234"),
        401,
        "MAIL_EVENT_UNAUTHENTICATED",
    )
    assert_error(provider.post(url, json=event), 401, "MAIL_EVENT_UNAUTHENTICATED")
    assert_error(
        provider.post(url, json=event, headers=basic("someone-else", "correct-horse-battery-staple")),
        401,
        "MAIL_EVENT_UNAUTHENTICATED",
    )
    untouched(api, admin, world.studio_a)
    # Nothing was recorded by the refused requests: the genuine one acts.
    assert result(post_postmark(provider, world.studio_a, event))["acted"] == 1
    assert suppressions(admin, world.studio_a) == ["BOUNCED"]
    assert status(api, message_id) == "BOUNCED"
    assert [e["messageCategory"] for e in entries(api, 1, "BOUNCE")]


def test_a_hard_bounce_acts_once(
    api: TestClient, admin: TestClient, provider: TestClient, world: World, worker: Worker
) -> None:
    configure(admin, world.studio_a, postmark_config())
    _, header = sent(api, worker)
    first = result(post_postmark(provider, world.studio_a, bounce(header)))
    assert first == {"received": 1, "acted": 1, "duplicates": 0, "unattributed": 0, "ignored": 0}
    before = entries(api, 1, "BOUNCE")
    again = result(post_postmark(provider, world.studio_a, bounce(header)))
    assert again == {"received": 1, "acted": 0, "duplicates": 1, "unattributed": 0, "ignored": 0}
    assert entries(api, 1, "BOUNCE") == before


def test_soft_and_sender_side_bounces_leave_the_member_alone(
    api: TestClient, admin: TestClient, provider: TestClient, world: World, worker: Worker
) -> None:
    configure(admin, world.studio_a, postmark_config())
    message_id, header = sent(api, worker)
    full = bounce(header, "SoftBounce", "smtp;552 5.2.2 mailbox full", ID=1)
    # Postmark files it as a hard bounce; the words say the studio's own DKIM failed.
    dkim = bounce(
        header, "HardBounce", "smtp;550 5.7.26 This message does not pass authentication checks (DKIM)", ID=2
    )
    for event in (full, dkim):
        assert result(post_postmark(provider, world.studio_a, event))["acted"] == 1
    untouched(api, admin, world.studio_a)
    assert status(api, message_id) == "SENT"


def test_a_spam_complaint_switches_marketing_off_and_blocks_email(
    api: TestClient, admin: TestClient, provider: TestClient, world: World, worker: Worker
) -> None:
    configure(admin, world.studio_a, postmark_config())
    _, header = sent(api, worker)
    complaint = {**bounce(header), "RecordType": "SpamComplaint", "Type": "SpamComplaint", "ID": 7}
    assert result(post_postmark(provider, world.studio_a, complaint))["acted"] == 1
    assert suppressions(admin, world.studio_a) == ["COMPLAINED"]
    assert entries(api, 1, "COMPLAINT")


def test_delivery_and_unsubscribe(
    api: TestClient, admin: TestClient, provider: TestClient, world: World, worker: Worker
) -> None:
    configure(admin, world.studio_a, postmark_config())
    opt_in = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}
    ]
    assert api.put(PREFS.format(1), json=opt_in).status_code == 200
    assert permitted(api, 1, "NEWSLETTER")["permitted"] is True
    message_id, header = sent(api, worker)
    delivery = {
        "RecordType": "Delivery",
        "MessageID": header,  # sent with X-PM-KeepID: true, Postmark keeps our Message-ID
        "Recipient": "member1@example.org",
        "DeliveredAt": "2026-11-27T09:00:01Z",
        "Details": "Test delivery webhook details",
    }
    assert result(post_postmark(provider, world.studio_a, delivery))["acted"] == 1
    assert status(api, message_id) == "DELIVERED"
    assert result(post_postmark(provider, world.studio_a, delivery))["duplicates"] == 1
    change = {
        "RecordType": "SubscriptionChange",
        "MessageID": header,
        "Recipient": "member1@example.org",
        "ChangedAt": "2026-11-27T09:05:00Z",
        "SuppressSending": True,
        "SuppressionReason": "ManualSuppression",
    }
    assert result(post_postmark(provider, world.studio_a, change))["acted"] == 1
    newsletter = permitted(api, 1, "NEWSLETTER")
    assert (newsletter["permitted"], newsletter["reason"]) == (False, "CUSTOMER_CHOICE")
    assert [e["actor"] for e in entries(api, 1, "UNSUBSCRIBE_LINK")] == [f"postmark:{change_id(header)}"]
    assert permitted(api, 1, "APPOINTMENT")["permitted"] is True  # only marketing mail
    opened = {"RecordType": "Open", "MessageID": header, "Recipient": "member1@example.org"}
    assert result(post_postmark(provider, world.studio_a, opened))["ignored"] == 1


def test_events_naming_no_message_of_the_studio_change_nothing(
    api: TestClient, admin: TestClient, provider: TestClient, world: World, worker: Worker
) -> None:
    configure(admin, world.studio_a, postmark_config())
    configure(admin, world.studio_b, postmark_config())
    _, header = sent(api, worker)
    # Studio A's real message, reported at studio B's URL (B's credential is the same here).
    assert result(post_postmark(provider, world.studio_b, bounce(header)))["unattributed"] == 1
    # Studio B's number in A's message, another recipient, another sender's id, no id at all.
    in_b = header.replace(f"studio-comms.{world.studio_a}.", f"studio-comms.{world.studio_b}.")
    for index, event in enumerate(
        (
            bounce(in_b),
            bounce(header, Email="member2@example.org"),
            bounce("<20261130.abc@other-sender.example>"),
            bounce(header, Metadata={}),
            bounce("<studio-comms.1.9999999999999999999@studio.example>"),
        )
    ):
        event["ID"] = 100 + index
        assert result(post_postmark(provider, world.studio_a, event))["unattributed"] == 1
    untouched(api, admin, world.studio_a)
    untouched(api, admin, world.studio_b)


def test_malformed_bodies_are_400_and_unconfigured_404(
    admin: TestClient, provider: TestClient, world: World
) -> None:
    url = EVENTS.format("postmark", world.studio_a)
    assert_error(provider.post(url, json={"RecordType": "Bounce"}), 404, "MAIL_PROVIDER_NOT_CONFIGURED")
    configure(admin, world.studio_a, postmark_config())
    auth = basic("postmark-hooks", "correct-horse-battery-staple")
    assert_error(provider.post(url, content=b"{not json", headers=auth), 400, "MAIL_EVENT_MALFORMED")
    assert_error(provider.post(url, content=b"[1, 2]", headers=auth), 400, "MAIL_EVENT_MALFORMED")
    assert_error(provider.post(url, json={"ID": 1}, headers=auth), 400, "MAIL_EVENT_MALFORMED")
    no_id = {"RecordType": "Bounce", "Type": "HardBounce"}
    assert_error(provider.post(url, json=no_id, headers=auth), 400, "MAIL_EVENT_MALFORMED", "ID")
    assert_error(provider.post(url, json={"RecordType": {"a": 1}}, headers=auth), 400, "MAIL_EVENT_MALFORMED")
    assert_error(
        provider.post(url, content=b"{}", headers={**auth, "Content-Type": "text/plain"}),
        400,
        "MAIL_EVENT_MALFORMED",
    )
    assert_error(provider.post(url, content=b"[" * 100_000, headers=auth), 400, "MAIL_EVENT_MALFORMED")
    assert_error(
        provider.post(url, content=b" " * (3 * 1024 * 1024), headers=auth), 400, "MAIL_EVENT_MALFORMED"
    )
    other = EVENTS.format("mailgun", world.studio_a)  # configured for Postmark, not Mailgun
    assert_error(provider.post(other, json={}, headers=JSON), 404, "MAIL_PROVIDER_NOT_CONFIGURED")
    assert_error(
        provider.post(EVENTS.format("ses", world.studio_a), json={}), 404, "MAIL_PROVIDER_NOT_CONFIGURED"
    )
    assert_error(
        provider.post(EVENTS.format("POSTMARK", world.studio_a), json={}), 404, "MAIL_PROVIDER_NOT_CONFIGURED"
    )
