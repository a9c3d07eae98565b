"""OUTGOING communications are checked against the preferences; receipts prove why they went out."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from studio_comms.communications.models import Communication, CommunicationThread
from studio_comms.db.database import Database
from studio_comms.outbox.models import OutboxItem
from tests.communications.helpers import THREAD, THREADS, request
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


def opt_in(api: TestClient, category: str = "NEWSLETTER", channel: str = "EMAIL") -> None:
    body = [{"messageCategory": category, "channels": [{"communicationChannel": channel, "active": True}]}]
    assert api.put(PREFS, json=body).status_code == 200


def test_outgoing_on_an_inactive_preference_is_409_and_stores_nothing(api: TestClient, db: Database) -> None:
    before = counts(db)
    response = api.post(THREADS.format(1), json=NEWSLETTER_EMAIL, headers={"Accept-Language": "en"})
    assert response.status_code == 409
    body = response.json()
    assert body["errorCode"] == "COMMUNICATION_NOT_PERMITTED"
    assert body["reference"] == "communicationChannel"
    for word in ("NEWSLETTER", "EMAIL", "STUDIO_DEFAULT"):
        assert word in body["errorMessage"]
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
        "enforcement": "REJECT",
        "decidedAt": "2026-11-27T09:00:00Z",
    }
    timeline = api.get(THREAD.format(1, response.json()["threadId"])).json()
    assert timeline["communications"][0]["authorization"] == receipt


def test_incoming_is_never_refused(api: TestClient) -> None:
    body = {**NEWSLETTER_EMAIL, "communicationDirection": "INCOMING", "communicationChannel": "FAX"}
    response = api.post(THREADS.format(1), json=body)
    assert response.status_code == 200
    assert "authorization" not in response.json()


def test_category_defaults_to_the_threads_then_general(api: TestClient) -> None:
    # GENERAL/EMAIL is on by default, NEWSLETTER/EMAIL off: the thread's category decides.
    opt_in(api)
    created = api.post(THREADS.format(1), json=NEWSLETTER_EMAIL).json()
    optout = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": False}]}
    ]
    api.put(PREFS, json=optout)
    follow_up = request(
        communicationDirection="OUTGOING", communicationChannel="EMAIL", communicationThreadStatus="ONGOING"
    )
    refused = api.put(THREAD.format(1, created["threadId"]), json=follow_up)
    assert refused.status_code == 409
    assert "NEWSLETTER" in refused.json()["errorMessage"]
    # A thread that named no category checks GENERAL.
    general = api.post(THREADS.format(1), json=follow_up)
    assert general.status_code == 200
    assert general.json()["authorization"]["messageCategory"] == "GENERAL"
    assert general.json()["authorization"]["reason"] == "STUDIO_DEFAULT"


def test_a_blocked_channel_is_refused_with_the_block_as_reason(
    api: TestClient, admin: TestClient, world: World
) -> None:
    admin.put(
        f"/admin/v1/studios/{world.studio_a}/customers/1/suppressions/EMAIL", json={"reason": "HARD_BOUNCE"}
    )
    body = request(communicationDirection="OUTGOING", communicationChannel="EMAIL")
    response = api.post(THREADS.format(1), json=body)
    assert response.status_code == 409
    assert "BLOCKED" in response.json()["errorMessage"]


def test_record_mode_stores_the_refused_communication_with_its_receipt(
    api: TestClient, admin: TestClient, world: World
) -> None:
    patched = admin.patch(f"/admin/v1/studios/{world.studio_a}", json={"consentEnforcement": "RECORD"})
    assert patched.status_code == 200
    assert patched.json()["consentEnforcement"] == "RECORD"
    response = api.post(THREADS.format(1), json=NEWSLETTER_EMAIL)
    assert response.status_code == 200
    receipt = response.json()["authorization"]
    assert (receipt["permitted"], receipt["reason"], receipt["enforcement"]) == (
        False,
        "STUDIO_DEFAULT",
        "RECORD",
    )
    # Studio B still rejects: the setting is per studio.
    other = api.post(THREADS.format(1), json=NEWSLETTER_EMAIL, headers={"X-API-KEY": world.key_b})
    assert other.status_code == 409


def test_bad_enforcement_value_is_400(admin: TestClient, world: World) -> None:
    response = admin.patch(f"/admin/v1/studios/{world.studio_a}", json={"consentEnforcement": "IGNORE"})
    assert response.status_code == 400
    assert response.json()["reference"] == "consentEnforcement"
