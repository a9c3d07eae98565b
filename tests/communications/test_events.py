"""Every write appends its events to the outbox in its own transaction: all or nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from studio_comms.communications.models import CommunicationThread
from studio_comms.db.database import Database
from studio_comms.outbox.models import OutboxItem
from tests.communications.helpers import THREAD, THREADS, request
from tests.dbtools import orm
from tests.factories import World

PREFS = "/v1/communications/1/communication-preferences"
OPT_IN = [{"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}]


def events(db: Database) -> list[tuple[str, int, dict[str, Any] | None]]:
    with orm(db) as session:
        rows = session.scalars(select(OutboxItem).order_by(OutboxItem.id)).all()
        return [(row.event_type, row.entity_id, row.content) for row in rows]


def test_preference_update_emits_the_sport_alliance_event(
    api: TestClient, db: Database, world: World
) -> None:
    api.put(PREFS, json=OPT_IN)
    api.put(PREFS, json=OPT_IN)  # no change, no event
    assert events(db) == [("CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED", 1, None)]
    with orm(db) as session:
        item = session.scalars(select(OutboxItem)).one()
        assert item.studio_id == world.studio_a
        assert len(item.event_uuid) == 36
        assert item.completed_at is None


def test_a_block_is_a_preference_update_too(admin: TestClient, db: Database, world: World) -> None:
    admin.put(f"/admin/v1/studios/{world.studio_a}/customers/2/suppressions/EMAIL", json={})
    admin.delete(f"/admin/v1/studios/{world.studio_a}/customers/2/suppressions/EMAIL")
    assert [e[:2] for e in events(db)] == [("CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED", 2)] * 2


def test_thread_events_carry_their_content(api: TestClient, db: Database) -> None:
    created = api.post(THREADS.format(1), json=request(messageCategory="APPOINTMENT")).json()
    thread_id, first = created["threadId"], created["communicationId"]
    second = api.put(THREAD.format(1, thread_id), json=request(communicationThreadStatus="CREATED")).json()
    third = api.put(THREAD.format(1, thread_id), json=request(communicationThreadStatus="CLOSED")).json()
    assert events(db) == [
        (
            "COMMUNICATION_THREAD_CREATED",
            1,
            {"threadId": thread_id, "communicationThreadStatus": "CREATED", "messageCategory": "APPOINTMENT"},
        ),
        (
            "COMMUNICATION_CREATED",
            1,
            {
                "threadId": thread_id,
                "communicationId": first,
                "direction": "INCOMING",
                "channel": "LETTER",
                "category": "APPOINTMENT",
            },
        ),
        (
            "COMMUNICATION_CREATED",
            1,
            {
                "threadId": thread_id,
                "communicationId": second["communicationId"],
                "direction": "INCOMING",
                "channel": "LETTER",
                "category": "APPOINTMENT",
            },
        ),
        (
            "COMMUNICATION_CREATED",
            1,
            {
                "threadId": thread_id,
                "communicationId": third["communicationId"],
                "direction": "INCOMING",
                "channel": "LETTER",
                "category": "APPOINTMENT",
            },
        ),
        (
            "COMMUNICATION_THREAD_STATUS_CHANGED",
            1,
            {"threadId": thread_id, "previousStatus": "CREATED", "status": "CLOSED"},
        ),
    ]


def test_refused_writes_leave_no_event(api: TestClient, db: Database) -> None:
    api.post(
        THREADS.format(1),
        json=request(
            communicationDirection="OUTGOING", communicationChannel="EMAIL", messageCategory="NEWSLETTER"
        ),
        headers={"Consent-Enforcement": "REJECT"},
    )
    api.put(
        PREFS,
        json=[
            {"messageCategory": "CONTRACT", "channels": [{"communicationChannel": "EMAIL", "active": False}]}
        ],
    )
    assert events(db) == []


@pytest.mark.parametrize("target", ["thread", "preferences"])
def test_a_failure_after_the_event_insert_leaves_neither_row(
    api: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("crash after the outbox insert")

    if target == "thread":
        from studio_comms.communications import service

        monkeypatch.setattr(service, "to_response", explode)
        response = api.post(THREADS.format(1), json=request())
    else:
        from studio_comms.preferences import service as preferences

        monkeypatch.setattr(preferences, "wire_json", explode)
        response = api.put(PREFS, json=OPT_IN)
    assert response.status_code == 500
    monkeypatch.undo()
    assert events(db) == []
    with orm(db) as session:
        assert session.scalars(select(CommunicationThread)).all() == []
    assert api.get(PREFS + "/history").json()["result"] == []


def test_a_thread_without_a_category_announces_the_one_applied_never_null(
    api: TestClient, db: Database
) -> None:
    created = api.post(THREADS.format(1), json=request()).json()
    thread_event = events(db)[0]
    assert thread_event == (
        "COMMUNICATION_THREAD_CREATED",
        1,
        {
            "threadId": created["threadId"],
            "communicationThreadStatus": "CREATED",
            "messageCategory": "GENERAL",
        },
    )
