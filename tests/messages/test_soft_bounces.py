"""Soft bounces at send time (issue 17 item 2): a real SMTP server on loopback answers 552 5.2.2
(mailbox full); N of them within D days (per studio, default 3 in 15) suppress EMAIL with
SOFT_BOUNCED, lifted by an operator or the member's own opt-in; the studio's own DMARC failing
(5.7.26) never counts. The clock is fixed and moved by the tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from studio_comms.db.database import Database
from studio_comms.outbox.worker import Worker
from tests.conftest import FixedClock
from tests.factories import World
from tests.messages.conftest import APPOINTMENT, message, send
from tests.smtp_server import SmtpServer
from tests.web.helpers import preference_events

MEMBER = "member1@example.org"
FULL = "552 5.2.2 The email account that you tried to reach is over quota"
DMARC = "550 5.7.26 Unauthenticated email from studio.example is not accepted due to domain's DMARC policy"
PERMISSION = "/v1/communications/1/communication-permission"
PREFS = "/v1/communications/1/communication-preferences"
HISTORY = PREFS + "/history"


def suppressions(admin: TestClient, world: World) -> list[str]:
    answer = admin.get(f"/admin/v1/studios/{world.studio_a}/customers/1/suppressions")
    assert answer.status_code == 200, answer.text
    return [s["reason"] for s in answer.json()]


def block_reason(api: TestClient, category: str = "GENERAL") -> str | None:
    answer = api.get(PERMISSION, params={"messageCategory": category, "communicationChannel": "EMAIL"})
    body: dict[str, Any] = answer.json()
    return None if body["permitted"] else body.get("blockReason")


def refused(api: TestClient, worker: Worker, smtp: SmtpServer, reply: str = FULL) -> int:
    """One e-mail to member 1 that the server refuses with ``reply``: FAILED."""
    smtp.inbox.refuse_rcpt[MEMBER] = reply
    message_id: int = send(api)["messageId"]
    worker.drain()
    assert message(api, message_id)["status"] == "FAILED"
    return message_id


def soft_bounced(api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer) -> None:
    for _ in range(3):
        refused(api, worker, smtp)
    assert suppressions(admin, world) == ["SOFT_BOUNCED"]


def bounce_entries(api: TestClient) -> list[tuple[str, bool, bool, str]]:
    history = api.get(HISTORY).json()["result"]
    return sorted(
        (e["messageCategory"], e["previousActive"], e["active"], e["actor"])
        for e in history
        if e["source"] == "BOUNCE"
    )


def test_two_soft_bounces_do_not_suppress_the_third_within_15_days_does(
    api: TestClient,
    admin: TestClient,
    world: World,
    worker: Worker,
    smtp: SmtpServer,
    clock: FixedClock,
    db: Database,
) -> None:
    refused(api, worker, smtp)
    clock.now += timedelta(days=7)
    refused(api, worker, smtp)
    assert suppressions(admin, world) == []
    assert block_reason(api) is None
    events = len(preference_events(db, world.studio_a))
    clock.now += timedelta(days=7, hours=23)
    refused(api, worker, smtp)
    assert suppressions(admin, world) == ["SOFT_BOUNCED"]
    assert block_reason(api) == "SOFT_BOUNCED"
    # The ledger: each EMAIL slot that was on is now off, by the bounce (the code, not the words).
    assert bounce_entries(api) == [
        ("APPOINTMENT", True, False, "smtp:5.2.2"),
        ("CONTRACT", True, False, "smtp:5.2.2"),
        ("GENERAL", True, False, "smtp:5.2.2"),
    ]
    assert len(preference_events(db, world.studio_a)) > events
    # The one decision refuses the next e-mail like any other block.
    answer = api.post("/v1/communications/1/messages", json={**APPOINTMENT})
    assert (answer.status_code, answer.json()["errorCode"]) == (409, "COMMUNICATION_NOT_PERMITTED")


def test_three_soft_bounces_spread_over_more_than_15_days_do_not_suppress(
    api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer, clock: FixedClock
) -> None:
    for _ in range(3):
        refused(api, worker, smtp)
        clock.now += timedelta(days=8)
    assert suppressions(admin, world) == []
    assert bounce_entries(api) == []


def test_the_studio_setting_one_in_one_day_suppresses_at_the_first(
    api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer
) -> None:
    path = f"/admin/v1/studios/{world.studio_a}/bounce-settings"
    assert admin.get(path).json() == {"softBounceLimit": 3, "softBounceDays": 15}
    answer = admin.put(path, json={"softBounceLimit": 1, "softBounceDays": 1})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"softBounceLimit": 1, "softBounceDays": 1}
    assert admin.get(path).json() == {"softBounceLimit": 1, "softBounceDays": 1}
    refused(api, worker, smtp)
    assert suppressions(admin, world) == ["SOFT_BOUNCED"]


def test_the_setting_is_the_studios_own(
    api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer
) -> None:
    other = admin.put(
        f"/admin/v1/studios/{world.studio_b}/bounce-settings",
        json={"softBounceLimit": 1, "softBounceDays": 1},
    )
    assert other.status_code == 200, other.text
    refused(api, worker, smtp)
    assert suppressions(admin, world) == []


def test_sender_side_failures_never_count(
    api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer
) -> None:
    admin.put(f"/admin/v1/studios/{world.studio_a}/bounce-settings", json={"softBounceLimit": 1})
    for _ in range(3):
        refused(api, worker, smtp, DMARC)
    refused(api, worker, smtp, "550 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org")
    refused(api, worker, smtp, "554 5.7.1 Message rejected as spam by Content Filtering")
    assert suppressions(admin, world) == []
    assert block_reason(api) is None


def test_a_temporary_refusal_still_being_retried_does_not_count(
    api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer
) -> None:
    admin.put(f"/admin/v1/studios/{world.studio_a}/bounce-settings", json={"softBounceLimit": 1})
    smtp.inbox.refuse_rcpt[MEMBER] = "452 4.2.2 Mailbox full, try again later"
    message_id: int = send(api)["messageId"]
    worker.drain()
    assert message(api, message_id)["status"] == "QUEUED"
    assert suppressions(admin, world) == []


def test_an_operator_lifts_it_and_counting_starts_again(
    api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer
) -> None:
    soft_bounced(api, admin, world, worker, smtp)
    lifted = admin.delete(f"/admin/v1/studios/{world.studio_a}/customers/1/suppressions/EMAIL")
    assert lifted.status_code == 204, lifted.text
    assert suppressions(admin, world) == []
    assert block_reason(api) is None
    # The bounces that led to the suppression are spent: one more does not suppress again.
    refused(api, worker, smtp)
    assert suppressions(admin, world) == []


def test_the_members_opt_in_lifts_it(
    api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer, db: Database
) -> None:
    soft_bounced(api, admin, world, worker, smtp)
    # GET shows the paused slots as the member's to switch on again.
    newsletter = _email_of(api.get(PREFS).json(), "NEWSLETTER")
    assert newsletter == {"communicationChannel": "EMAIL", "active": False, "customerOverridable": True}
    events = len(preference_events(db, world.studio_a))
    body = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}
    ]
    answer = api.put(PREFS, json=body)
    assert answer.status_code == 200, answer.text
    assert _email_of(answer.json(), "NEWSLETTER")["active"] is True
    assert _email_of(answer.json(), "GENERAL")["active"] is True
    assert suppressions(admin, world) == []
    assert block_reason(api) is None
    assert len(preference_events(db, world.studio_a)) > events
    history = api.get(HISTORY).json()["result"]
    by_member = sorted(
        (e["messageCategory"], e["previousActive"], e["active"]) for e in history if e["source"] != "BOUNCE"
    )
    # The member's choice, and each slot the lift switched back on.
    assert by_member == [
        ("APPOINTMENT", False, True),
        ("CONTRACT", False, True),
        ("GENERAL", False, True),
        ("NEWSLETTER", False, True),
    ]


def test_switching_a_paused_slot_off_does_not_lift_it(
    api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer
) -> None:
    soft_bounced(api, admin, world, worker, smtp)
    body = [{"messageCategory": "GENERAL", "channels": [{"communicationChannel": "EMAIL", "active": False}]}]
    answer = api.put(PREFS, json=body)
    assert answer.status_code == 200, answer.text
    assert suppressions(admin, world) == ["SOFT_BOUNCED"]


def test_a_hard_bounce_is_not_lifted_by_an_opt_in(
    api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer
) -> None:
    smtp.inbox.refuse_rcpt[MEMBER] = "550 5.1.1 The email account that you tried to reach does not exist"
    message_id: int = send(api)["messageId"]
    worker.drain()
    assert message(api, message_id)["status"] == "BOUNCED"
    assert _email_of(api.get(PREFS).json(), "NEWSLETTER")["customerOverridable"] is False
    body = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}
    ]
    answer = api.put(PREFS, json=body)
    assert answer.status_code == 409, answer.text
    assert answer.json()["errorCode"] == "CHANNEL_SUPPRESSED"
    assert suppressions(admin, world) == ["BOUNCED"]


def _email_of(preferences: list[dict[str, Any]], category: str) -> dict[str, Any]:
    entry = next(p for p in preferences if p["messageCategory"] == category)
    found: dict[str, Any] = next(c for c in entry["channels"] if c["communicationChannel"] == "EMAIL")
    return found
