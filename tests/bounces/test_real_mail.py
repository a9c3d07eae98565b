"""Real returned mail through the endpoint (tests/bounces/corpus): each sample about a message the
service really sent — its Message-ID and recipient put in place of the original ones — acts or
not by its reason: address-level permanent failures suppress, the rest never touch the member."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from studio_comms.bounces.reading import read
from studio_comms.outbox.worker import Worker
from tests.bounces.helpers import FEEDBACK, RFC822, permitted, sent, untouched
from tests.factories import World

CORPUS = Path(__file__).parent / "corpus"


def about_our_message(file: str, header: str, address: str = "member1@example.org") -> bytes:
    """The sample as if it reported on our message to ``address``."""
    raw = (CORPUS / file).read_bytes()
    delivery = read(raw).delivery
    assert delivery is not None
    assert delivery.original_message_id is not None
    raw = raw.replace(delivery.original_message_id.strip("<>").encode(), header.strip("<>").encode())
    for recipient in delivery.recipients:
        raw = re.sub(re.escape(recipient.address).encode(), address.encode(), raw, flags=re.IGNORECASE)
    return raw


@pytest.mark.parametrize(
    ("file", "reason"),
    [
        ("bounceparser/generic-postfix-via-sendmail.unknown.msg", "USER_UNKNOWN"),  # Postfix via sendmail
        ("bounceparser/qmail.unknown.msg", "USER_UNKNOWN"),  # a qmail text bounce
        ("flufl/exim_01.txt", "USER_UNKNOWN"),  # an Exim text bounce
        ("bounceparser/user-unknown-disabled.msg", "MAILBOX_DISABLED"),  # Gmail: account disabled
    ],
)
def test_a_real_hard_bounce_suppresses_the_member(
    api: TestClient, admin: TestClient, world: World, worker: Worker, file: str, reason: str
) -> None:
    message_id, header = sent(api, worker)
    response = admin.post(FEEDBACK, content=about_our_message(file, header), headers=RFC822)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["kind"], body["messageId"]) == ("HARD_BOUNCE", message_id)
    assert [(r["reason"], r["suppressed"]) for r in body["recipients"]] == [(reason, True)]
    assert permitted(api, 1, "GENERAL")["blockReason"] == "BOUNCED"
    message = api.get(f"/v1/messages/{message_id}").json()
    assert message["status"] == "BOUNCED"


@pytest.mark.parametrize(
    ("file", "reason"),
    [
        ("bounceparser/quota-7.msg", "MAILBOX_FULL"),  # 5.7.0 + "exceeded its disk space limit"
        ("bounceparser/spam-rejection43.msg", "SENDER_POLICY"),  # the sending IP on a blocklist
        ("bounceparser/spam-rejection14.msg", "SENDER_POLICY"),  # "configure spf, HELO, PTR"
        ("bounceparser/message-too-large-2.msg", "TOO_LARGE"),
        ("bounceparser/relaying-denied.msg", "RELAYING_DENIED"),
        ("bounceparser/spam-rejection.msg", "CONTENT_BLOCKED"),  # 5.7.1 spam rejection
    ],
)
def test_a_real_soft_or_sender_side_failure_changes_nothing(
    api: TestClient, admin: TestClient, world: World, worker: Worker, file: str, reason: str
) -> None:
    message_id, header = sent(api, worker)
    response = admin.post(FEEDBACK, content=about_our_message(file, header), headers=RFC822)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["kind"], body["messageId"]) == ("SOFT_BOUNCE", message_id)
    assert [(r["reason"], r["suppressed"]) for r in body["recipients"]] == [(reason, False)]
    untouched(api, admin, world.studio_a)
    assert api.get(f"/v1/messages/{message_id}").json()["status"] == "SENT"


def test_a_real_auto_reply_changes_nothing(api: TestClient, admin: TestClient, world: World) -> None:
    raw = (CORPUS / "bounceparser/aol-vacation.msg").read_bytes()
    response = admin.post(FEEDBACK, content=raw, headers=RFC822)
    assert response.json() == {"kind": "AUTO_REPLY", "recipients": []}
    untouched(api, admin, world.studio_a)


def test_a_real_bounce_of_another_sender_is_unattributed(admin: TestClient, world: World) -> None:
    raw = (CORPUS / "bounceparser/generic-postfix-via-sendmail.unknown.msg").read_bytes()
    body = admin.post(FEEDBACK, content=raw, headers=RFC822).json()
    assert (body["kind"], body["unattributed"]["why"]) == ("HARD_BOUNCE", "NOT_OURS")
