"""OUTGOING communications are checked against the preferences; receipts prove why they went out.

By default (RECORD) a communication the preferences do not permit is stored, marked as such; a
studio or a request that chooses REJECT gets 409 and nothing is stored.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from studio_comms.communications.models import Communication, CommunicationThread
from studio_comms.db.database import Database
from studio_comms.outbox.models import OutboxItem
from tests.communications.helpers import THREAD, THREADS, request
from tests.communications.test_events import events
from tests.dbtools import orm
from tests.factories import World

PREFS = "/v1/communications/1/communication-preferences"
NEWSLETTER_EMAIL = request(
    communicationDirection="OUTGOING",
    communicationChannel="EMAIL",
    messageCategory="NEWSLETTER",
    subject="November news",
)


def counts(db: Database) -> tuple[int, int, int]:
    with orm(db) as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (CommunicationThread, Communication, OutboxItem)
        )


def choose(api: TestClient, active: bool, category: str = "NEWSLETTER", channel: str = "EMAIL") -> None:
    body = [{"messageCategory": category, "channels": [{"communicationChannel": channel, "active": active}]}]
    assert api.put(PREFS, json=body).status_code == 200


def opt_in(api: TestClient, category: str = "NEWSLETTER", channel: str = "EMAIL") -> None:
    choose(api, True, category, channel)


def studio_rejects(admin: TestClient, world: World, studio: int | None = None) -> None:
    patched = admin.patch(
        f"/admin/v1/studios/{studio or world.studio_a}", json={"consentEnforcement": "REJECT"}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["consentEnforcement"] == "REJECT"
    assert patched.json()["consentEnforcementChosen"] is True


REJECT = {"Consent-Enforcement": "REJECT"}
# A Magicline client's request: no messageCategory (so GENERAL), a channel of its own choosing.
COMPATIBLE_OUTGOING = request(communicationDirection="OUTGOING", communicationChannel="EMAIL")


def test_a_compatible_outgoing_on_a_channel_the_member_switched_off_is_recorded(
    api: TestClient, db: Database
) -> None:
    choose(api, False, "GENERAL", "EMAIL")
    entry_id = api.get(PREFS + "/history").json()["result"][0]["entryId"]
    response = api.post(THREADS.format(1), json=COMPATIBLE_OUTGOING)
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["authorization"] == {
        "permitted": False,
        "reason": "CUSTOMER_CHOICE",
        "messageCategory": "GENERAL",
        "communicationChannel": "EMAIL",
        "ledgerEntryId": entry_id,
        "enforcement": "RECORD",
        "decidedAt": "2026-11-27T09:00:00Z",
    }
    timeline = api.get(THREAD.format(1, created["threadId"])).json()
    assert timeline["communications"][0]["authorization"] == created["authorization"]
    assert timeline["communications"][0]["content"] == COMPATIBLE_OUTGOING["content"]
    communication_events = [e for e in events(db) if e[0] == "COMMUNICATION_CREATED"]
    assert communication_events == [
        (
            "COMMUNICATION_CREATED",
            1,
            {
                "threadId": created["threadId"],
                "communicationId": created["communicationId"],
                "direction": "OUTGOING",
                "channel": "EMAIL",
                "category": "GENERAL",
                "permitted": False,
                "rule": "CUSTOMER_CHOICE",
            },
        )
    ]


def test_a_channel_the_studio_does_not_offer_is_recorded_too(api: TestClient) -> None:
    # GENERAL is not offered by TEXT_MESSAGE or CHAT in the default settings.
    for channel in ("TEXT_MESSAGE", "CHAT"):
        body = request(communicationDirection="OUTGOING", communicationChannel=channel)
        response = api.post(THREADS.format(1), json=body)
        assert response.status_code == 200, response.text
        receipt = response.json()["authorization"]
        assert (receipt["permitted"], receipt["reason"], receipt["enforcement"]) == (
            False,
            "NOT_OFFERED",
            "RECORD",
        )


def test_a_studio_that_chose_reject_refuses_with_409_and_stores_nothing(
    api: TestClient, admin: TestClient, db: Database, world: World
) -> None:
    studio_rejects(admin, world)
    before = counts(db)
    response = api.post(THREADS.format(1), json=NEWSLETTER_EMAIL, headers={"Accept-Language": "en"})
    assert response.status_code == 409
    body = response.json()
    assert body["errorCode"] == "COMMUNICATION_NOT_PERMITTED"
    assert body["reference"] == "communicationChannel"
    for word in ("NEWSLETTER", "EMAIL", "STUDIO_DEFAULT", "Not a concurrent modification"):
        assert word in body["errorMessage"]
    assert counts(db) == before
    # Studio B did not choose: it records.
    other = api.post(THREADS.format(1), json=NEWSLETTER_EMAIL, headers={"X-API-KEY": world.key_b})
    assert other.status_code == 200
    assert other.json()["authorization"]["enforcement"] == "RECORD"


def test_a_studio_that_chose_reject_refuses_a_follow_up_in_a_thread_too(
    api: TestClient, admin: TestClient, db: Database, world: World
) -> None:
    thread = api.post(THREADS.format(1), json=request()).json()
    studio_rejects(admin, world)
    before = counts(db)
    follow_up = {**NEWSLETTER_EMAIL, "communicationThreadStatus": "CLOSED"}
    refused = api.put(THREAD.format(1, thread["threadId"]), json=follow_up)
    assert refused.status_code == 409
    assert refused.json()["errorCode"] == "COMMUNICATION_NOT_PERMITTED"
    assert counts(db) == before
    assert api.get(THREAD.format(1, thread["threadId"])).json()["communicationThreadStatus"] == "CREATED"


@pytest.mark.parametrize("path", ["new", "existing"])
def test_the_reject_header_refuses_a_single_request_and_stores_nothing(
    api: TestClient, db: Database, path: str
) -> None:
    thread = api.post(THREADS.format(1), json=request()).json()
    before = counts(db)
    url = THREADS.format(1) if path == "new" else THREAD.format(1, thread["threadId"])
    send = api.post if path == "new" else api.put
    refused = send(url, json=NEWSLETTER_EMAIL, headers=REJECT)
    assert refused.status_code == 409
    assert refused.json()["errorCode"] == "COMMUNICATION_NOT_PERMITTED"
    assert counts(db) == before
    # Without the header the same request is recorded.
    assert send(url, json=NEWSLETTER_EMAIL).status_code == 200


def test_the_reject_header_lets_a_permitted_communication_through_with_its_mode_on_the_receipt(
    api: TestClient,
) -> None:
    opt_in(api)
    response = api.post(THREADS.format(1), json=NEWSLETTER_EMAIL, headers=REJECT)
    assert response.status_code == 200
    receipt = response.json()["authorization"]
    assert (receipt["permitted"], receipt["enforcement"]) == (True, "REJECT")


def test_a_request_cannot_loosen_a_studio_that_rejects(
    api: TestClient, admin: TestClient, db: Database, world: World
) -> None:
    studio_rejects(admin, world)
    before = counts(db)
    response = api.post(THREADS.format(1), json=NEWSLETTER_EMAIL, headers={"Consent-Enforcement": "RECORD"})
    assert response.status_code == 409
    assert counts(db) == before


def test_an_unknown_header_value_is_400_naming_the_header(api: TestClient, db: Database) -> None:
    before = counts(db)
    response = api.post(THREADS.format(1), json=NEWSLETTER_EMAIL, headers={"Consent-Enforcement": "IGNORE"})
    assert response.status_code == 400
    assert response.json()["reference"] == "Consent-Enforcement"
    assert counts(db) == before


def test_accepted_after_the_customer_opts_in_with_a_receipt(api: TestClient) -> None:
    opt_in(api)
    entry_id = api.get(PREFS + "/history").json()["result"][0]["entryId"]
    response = api.post(THREADS.format(1), json=NEWSLETTER_EMAIL)
    assert response.status_code == 200, response.text
    receipt = response.json()["authorization"]
    assert receipt == {
        "permitted": True,
        "reason": "CUSTOMER_CHOICE",
        "messageCategory": "NEWSLETTER",
        "communicationChannel": "EMAIL",
        "ledgerEntryId": entry_id,
        "enforcement": "RECORD",
        "decidedAt": "2026-11-27T09:00:00Z",
    }
    timeline = api.get(THREAD.format(1, response.json()["threadId"])).json()
    assert timeline["communications"][0]["authorization"] == receipt


def test_incoming_is_never_refused(api: TestClient) -> None:
    body = {**NEWSLETTER_EMAIL, "communicationDirection": "INCOMING", "communicationChannel": "FAX"}
    response = api.post(THREADS.format(1), json=body, headers=REJECT)
    assert response.status_code == 200
    assert "authorization" not in response.json()


def test_category_defaults_to_the_threads_then_general(api: TestClient) -> None:
    # GENERAL/EMAIL is on by default, NEWSLETTER/EMAIL off: the thread's category decides.
    opt_in(api)
    created = api.post(THREADS.format(1), json=NEWSLETTER_EMAIL).json()
    choose(api, False)
    follow_up = request(
        communicationDirection="OUTGOING", communicationChannel="EMAIL", communicationThreadStatus="ONGOING"
    )
    recorded = api.put(THREAD.format(1, created["threadId"]), json=follow_up)
    assert recorded.status_code == 200
    assert recorded.json()["authorization"]["messageCategory"] == "NEWSLETTER"
    assert recorded.json()["authorization"]["permitted"] is False
    refused = api.put(THREAD.format(1, created["threadId"]), json=follow_up, headers=REJECT)
    assert refused.status_code == 409
    assert "NEWSLETTER" in refused.json()["errorMessage"]
    # A thread that named no category checks GENERAL.
    general = api.post(THREADS.format(1), json=follow_up, headers=REJECT)
    assert general.status_code == 200
    assert general.json()["authorization"]["messageCategory"] == "GENERAL"
    assert general.json()["authorization"]["reason"] == "STUDIO_DEFAULT"


def test_a_blocked_channel_is_recorded_or_refused_with_the_block_as_reason(
    api: TestClient, admin: TestClient, world: World
) -> None:
    admin.put(
        f"/admin/v1/studios/{world.studio_a}/customers/1/suppressions/EMAIL", json={"reason": "HARD_BOUNCE"}
    )
    recorded = api.post(THREADS.format(1), json=COMPATIBLE_OUTGOING)
    assert recorded.status_code == 200
    receipt = recorded.json()["authorization"]
    assert (receipt["permitted"], receipt["reason"], receipt["blockReason"]) == (
        False,
        "BLOCKED",
        "HARD_BOUNCE",
    )
    refused = api.post(THREADS.format(1), json=COMPATIBLE_OUTGOING, headers=REJECT)
    assert refused.status_code == 409
    assert "BLOCKED" in refused.json()["errorMessage"]


def test_an_operator_can_choose_record_explicitly(admin: TestClient, world: World) -> None:
    studio = admin.get(f"/admin/v1/studios/{world.studio_a}").json()
    assert (studio["consentEnforcement"], studio["consentEnforcementChosen"]) == ("RECORD", False)
    patched = admin.patch(f"/admin/v1/studios/{world.studio_a}", json={"consentEnforcement": "RECORD"})
    assert patched.status_code == 200
    assert (patched.json()["consentEnforcement"], patched.json()["consentEnforcementChosen"]) == (
        "RECORD",
        True,
    )


def test_bad_enforcement_value_is_400(admin: TestClient, world: World) -> None:
    response = admin.patch(f"/admin/v1/studios/{world.studio_a}", json={"consentEnforcement": "IGNORE"})
    assert response.status_code == 400
    assert response.json()["reference"] == "consentEnforcement"
