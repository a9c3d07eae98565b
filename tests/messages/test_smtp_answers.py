"""SMTP answers at send time go through the same classification as returned mail (issue 17 item 3),
on a real SMTP server on loopback answering per recipient: a dead address BOUNCES and is
suppressed; the sender's own DKIM/DMARC failing (Gmail's 5.7.26), a full mailbox, a temporary
refusal never touch the member."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from studio_comms.outbox.worker import Worker
from tests.factories import World
from tests.messages.conftest import message, send
from tests.smtp_server import SmtpServer

MEMBER = "member1@example.org"
PERMISSION = "/v1/communications/1/communication-permission"


def email_permitted(api: TestClient) -> bool:
    answer = api.get(PERMISSION, params={"messageCategory": "GENERAL", "communicationChannel": "EMAIL"})
    permitted: bool = answer.json()["permitted"]
    return permitted


def test_a_dead_address_bounces_and_is_suppressed(
    api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer
) -> None:
    smtp.inbox.refuse_rcpt[MEMBER] = "550 5.1.1 The email account that you tried to reach does not exist"
    accepted = send(api)
    worker.drain()
    read = message(api, accepted["messageId"])
    assert read["status"] == "BOUNCED"
    assert read["statusReason"].endswith("(USER_UNKNOWN)")
    assert email_permitted(api) is False
    suppressions = admin.get(f"/admin/v1/studios/{world.studio_a}/customers/1/suppressions").json()
    assert [s["reason"] for s in suppressions] == ["BOUNCED"]
    history = api.get("/v1/communications/1/communication-preferences/history").json()["result"]
    assert {e["actor"] for e in history if e["source"] == "BOUNCE"} == {"smtp:5.1.1"}


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("550 5.7.26 Unauthenticated email from studio.example is not accepted due to domain's DMARC policy",
         "SENDER_POLICY"),
        ("550 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org", "SENDER_POLICY"),
        ("552 5.2.2 The email account that you tried to reach is over quota", "MAILBOX_FULL"),
        ("554 5.7.1 Message rejected as spam by Content Filtering", "CONTENT_BLOCKED"),
    ],
)  # fmt: skip
def test_a_permanent_refusal_that_is_not_the_address_fails_and_leaves_the_member(
    api: TestClient,
    admin: TestClient,
    world: World,
    worker: Worker,
    smtp: SmtpServer,
    reply: str,
    reason: str,
) -> None:
    smtp.inbox.refuse_rcpt[MEMBER] = reply
    accepted = send(api)
    worker.drain()
    read = message(api, accepted["messageId"])
    assert read["status"] == "FAILED"
    assert read["statusReason"].endswith(f"({reason})")
    assert email_permitted(api) is True
    assert admin.get(f"/admin/v1/studios/{world.studio_a}/customers/1/suppressions").json() == []


def test_a_temporary_refusal_is_retried_and_leaves_the_member(
    api: TestClient, worker: Worker, smtp: SmtpServer
) -> None:
    smtp.inbox.refuse_rcpt[MEMBER] = "451 4.7.1 Greylisting in action, please come back later"
    accepted = send(api)
    worker.drain()
    assert (message(api, accepted["messageId"])["status"], email_permitted(api)) == ("QUEUED", True)
