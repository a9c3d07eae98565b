"""An erasure is one customer-wide block inside the one decision: recorded on EMAIL, it refuses an
APPOINTMENT text message at every entry point with the same rule (BLOCKED, block reason ERASED).

Before, the permission answered ``permitted: true``, a thread's receipt said permitted, bulk
refused with BLOCKED and the worker suppressed: three rooms, two answers (issue 16).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from studio_comms.background import build_worker
from studio_comms.customers.service import find_customer
from studio_comms.db.database import Database
from studio_comms.links.tokens import LinkClaims, LinkPurpose, LinkSigner
from studio_comms.outbox.worker import Worker
from studio_comms.settings import Settings
from tests.conftest import LINK_SECRET, FixedClock
from tests.factories import World, make_customer

MEMBER = 7
PERMISSION = f"/v1/communications/{MEMBER}/communication-permission"
APPOINTMENT_TEXT = {"messageCategory": "APPOINTMENT", "communicationChannel": "TEXT_MESSAGE"}
ERASED = {"permitted": False, "reason": "BLOCKED", "blockReason": "ERASED"}


@pytest.fixture
def worker(settings: Settings, db: Database, clock: FixedClock) -> Iterator[Worker]:
    built = build_worker(settings, db, clock=clock, listen=False)
    yield built
    built.close()


@pytest.fixture
def member(db: Database, clock: FixedClock, world: World) -> int:
    with db.transaction() as tx:
        make_customer(tx, world.studio_a, MEMBER, now=clock.now, phoneNumber="+4915112345678")
    return MEMBER


def erase(admin: TestClient, world: World, channel: str = "EMAIL") -> None:
    url = f"/admin/v1/studios/{world.studio_a}/customers/{MEMBER}/suppressions/{channel}"
    response = admin.put(url, json={"reason": "ERASED"})
    assert response.status_code == 200, response.text


def rule_of(refusal: dict[str, str]) -> str:
    found = re.search(r"\(rule ([A-Z_]+)\)", refusal["errorMessage"])
    assert found is not None, refusal
    return found.group(1)


def test_an_erasure_on_email_refuses_an_appointment_text_message_everywhere_with_one_rule(
    api: TestClient, admin: TestClient, world: World, member: int, worker: Worker
) -> None:
    # Accepted before the erasure: the worker decides again when it takes it up.
    queued = api.post(
        f"/v1/communications/{member}/messages", json={**APPOINTMENT_TEXT, "content": "See you"}
    )
    assert queued.status_code == 202, queued.text
    erase(admin, world)

    permission = api.get(PERMISSION, params=APPOINTMENT_TEXT).json()
    assert {key: permission[key] for key in ERASED} == ERASED

    thread = {
        "communicationThreadStatus": "CREATED",
        "subject": "Your class",
        "content": "Yoga at 18:00",
        "communicationDirection": "OUTGOING",
        **APPOINTMENT_TEXT,
    }
    created = api.post(f"/v1/communications/{member}/threads", json=thread)
    assert created.status_code == 200, created.text
    receipt = created.json()["authorization"]
    assert {
        "permitted": receipt["permitted"],
        "reason": receipt["reason"],
        "blockReason": receipt["blockReason"],
    } == ERASED
    appended = api.put(f"/v1/communications/{member}/threads/{created.json()['threadId']}", json=thread)
    assert appended.status_code == 200, appended.text
    assert appended.json()["authorization"]["reason"] == "BLOCKED"
    assert appended.json()["authorization"]["permitted"] is False

    single = api.post(
        f"/v1/communications/{member}/messages", json={**APPOINTMENT_TEXT, "content": "See you"}
    )
    assert single.status_code == 409, single.text
    assert single.json()["errorCode"] == "COMMUNICATION_NOT_PERMITTED"
    assert rule_of(single.json()) == "BLOCKED"

    bulk = api.post("/v1/messages", json={**APPOINTMENT_TEXT, "customerIds": [member], "content": "Hi"})
    assert bulk.status_code == 202, bulk.text
    assert bulk.json()["refused"] == [{"customerId": member, "rule": "BLOCKED"}]

    worker.drain()
    read = api.get(f"/v1/messages/{queued.json()['messageId']}").json()
    last = read["statusHistory"][-1]
    assert (read["status"], last["rule"], last["blockReason"]) == ("SUPPRESSED", "BLOCKED", "ERASED")


@pytest.mark.parametrize("recorded_on", ["EMAIL", "LETTER", "TEXT_MESSAGE"])
def test_an_erased_member_is_refused_on_every_slot_and_can_change_nothing(
    api: TestClient, admin: TestClient, world: World, member: int, recorded_on: str
) -> None:
    # Another block of the member's stays as recorded, but the erasure is the reason given.
    blocked = admin.put(
        f"/admin/v1/studios/{world.studio_a}/customers/{MEMBER}/suppressions/PHONE",
        json={"reason": "OPERATOR"},
    )
    assert blocked.status_code == 200, blocked.text
    erase(admin, world, recorded_on)
    for category in ("CONTRACT", "GENERAL", "APPOINTMENT", "NEWSLETTER", "LOYALTY_PROGRAM"):
        for channel in ("LETTER", "EMAIL", "TEXT_MESSAGE", "PHONE", "FAX", "CONVERSATION", "CHAT", "OTHER"):
            answer = api.get(
                PERMISSION, params={"messageCategory": category, "communicationChannel": channel}
            )
            assert {key: answer.json()[key] for key in ERASED} == ERASED, (category, channel)
    # What GET shows: nothing on, nothing the member (or a partner for them) may switch.
    preferences = api.get(f"/v1/communications/{member}/communication-preferences").json()
    shown = [channel for entry in preferences for channel in entry["channels"]]
    assert shown
    assert all(not c["active"] and not c["customerOverridable"] for c in shown)
    switch_on = [
        {
            "messageCategory": "APPOINTMENT",
            "channels": [{"communicationChannel": "TEXT_MESSAGE", "active": True}],
        }
    ]
    refused = api.put(f"/v1/communications/{member}/communication-preferences", json=switch_on)
    assert refused.status_code == 409, refused.text
    assert refused.json()["errorCode"] == "CHANNEL_SUPPRESSED"
    # No member link for an erased member, and a link signed before does not open the page.
    unsubscribe = api.post(f"/v1/communications/{member}/unsubscribe-links", json=APPOINTMENT_TEXT)
    assert (unsubscribe.status_code, unsubscribe.json()["errorCode"]) == (409, "CUSTOMER_ERASED")


def test_a_member_page_link_of_an_erased_member_opens_nothing(
    client: TestClient, admin: TestClient, db: Database, world: World, member: int, clock: FixedClock
) -> None:
    erase(admin, world, "TEXT_MESSAGE")
    with db.transaction() as tx:
        customer = find_customer(tx, world.studio_a, member)
    assert customer is not None
    signer = LinkSigner(LINK_SECRET.encode())
    # Signed with the member's current epoch (after the erasure): only the erasure can refuse it.
    expires = clock.now + timedelta(days=1)
    claims = LinkClaims(LinkPurpose.PREFERENCES, world.studio_a, member, customer.link_epoch, expires)
    page = client.get(f"/preferences/{signer.sign(claims)}")
    assert page.status_code == 410, page.text
