"""PUT merges; refused bodies change nothing; tenancy; blocks."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from studio_comms.db.database import Database
from studio_comms.preferences.models import ConsentLedgerEntry
from tests.dbtools import orm
from tests.factories import World

PREFS = "/v1/communications/{}/communication-preferences"


def channels(body: list[dict[str, Any]], category: str) -> dict[str, bool]:
    entry = next(e for e in body if e["messageCategory"] == category)
    return {c["communicationChannel"]: c["active"] for c in entry["channels"]}


def ledger_count(db: Database) -> int:
    with orm(db) as session:
        return session.scalar(select(func.count()).select_from(ConsentLedgerEntry)) or 0


def test_categories_and_channels_not_in_the_body_stay(api: TestClient) -> None:
    api.put(
        PREFS.format(1),
        json=[
            {"messageCategory": "GENERAL", "channels": [{"communicationChannel": "PHONE", "active": False}]}
        ],
    )
    response = api.put(
        PREFS.format(1),
        json=[
            {
                "messageCategory": "NEWSLETTER",
                "channels": [{"communicationChannel": "TEXT_MESSAGE", "active": True}],
            }
        ],
    )
    body = response.json()
    assert channels(body, "GENERAL") == {"LETTER": True, "EMAIL": True, "PHONE": False}
    assert channels(body, "NEWSLETTER") == {"EMAIL": False, "TEXT_MESSAGE": True}
    assert channels(body, "APPOINTMENT") == {"EMAIL": True, "TEXT_MESSAGE": True}


def test_channel_without_active_and_customer_overridable_in_body_are_ignored(api: TestClient) -> None:
    response = api.put(
        PREFS.format(1),
        json=[
            {
                "messageCategory": "NEWSLETTER",
                "channels": [
                    {"communicationChannel": "EMAIL", "customerOverridable": False},
                    {"communicationChannel": "TEXT_MESSAGE", "customerOverridable": False, "active": True},
                ],
            }
        ],
    )
    assert response.status_code == 200
    entry = next(e for e in response.json() if e["messageCategory"] == "NEWSLETTER")
    assert entry["channels"] == [
        {"communicationChannel": "EMAIL", "customerOverridable": True, "active": False},
        {"communicationChannel": "TEXT_MESSAGE", "customerOverridable": True, "active": True},
    ]


def test_putting_back_what_get_answered_is_accepted_and_changes_nothing(
    api: TestClient, db: Database
) -> None:
    state = api.get(PREFS.format(1)).json()
    response = api.put(PREFS.format(1), json=state)
    assert response.status_code == 200
    assert response.json() == state
    assert ledger_count(db) == 0


def test_empty_list_is_a_no_op(api: TestClient) -> None:
    assert api.put(PREFS.format(1), json=[]).json() == api.get(PREFS.format(1)).json()


@pytest.mark.parametrize(
    ("body", "code", "reference"),
    [
        (
            [
                {
                    "messageCategory": "NEWSLETTER",
                    "channels": [{"communicationChannel": "EMAIL", "active": True}],
                },
                {"messageCategory": "NEWSLETTER", "channels": []},
            ],
            "DUPLICATE_CATEGORY",
            "[1].messageCategory",
        ),
        (
            [
                {
                    "messageCategory": "NEWSLETTER",
                    "channels": [
                        {"communicationChannel": "EMAIL", "active": True},
                        {"communicationChannel": "EMAIL", "active": False},
                    ],
                }
            ],
            "DUPLICATE_CHANNEL",
            "[0].channels[1].communicationChannel",
        ),
        (
            [
                {
                    "messageCategory": "NEWSLETTER",
                    "channels": [{"communicationChannel": "EMAIL", "active": True}],
                },
                {"messageCategory": "GENERAL", "channels": [{"communicationChannel": "FAX", "active": True}]},
            ],
            "CHANNEL_NOT_OFFERED",
            "[1].channels[0].communicationChannel",
        ),
        (
            [
                {
                    "messageCategory": "NEWSLETTER",
                    "channels": [{"communicationChannel": "EMAIL", "active": True}],
                },
                {
                    "messageCategory": "CONTRACT",
                    "channels": [{"communicationChannel": "LETTER", "active": False}],
                },
            ],
            "CHANNEL_NOT_OVERRIDABLE",
            "[1].channels[0].active",
        ),
    ],
)
def test_refused_body_is_400_and_changes_nothing(
    api: TestClient, db: Database, body: list[dict[str, Any]], code: str, reference: str
) -> None:
    before = api.get(PREFS.format(1)).json()
    response = api.put(PREFS.format(1), json=body)
    assert response.status_code == 400
    assert response.json()["errorCode"] == code
    assert response.json()["reference"] == reference
    assert api.get(PREFS.format(1)).json() == before
    assert ledger_count(db) == 0


def test_restating_a_non_overridable_value_is_fine(api: TestClient) -> None:
    body = [{"messageCategory": "CONTRACT", "channels": [{"communicationChannel": "LETTER", "active": True}]}]
    assert api.put(PREFS.format(1), json=body).status_code == 200


def test_unknown_customer_is_404(api: TestClient) -> None:
    for response in (api.get(PREFS.format(77)), api.put(PREFS.format(77), json=[])):
        assert response.status_code == 404
        assert response.json()["errorCode"] == "CUSTOMER_NOT_FOUND"


def test_another_studios_customer_is_404_like_a_missing_one(
    api: TestClient, admin: TestClient, world: World
) -> None:
    created = admin.put(
        f"/admin/v1/studios/{world.studio_b}/customers/55", json={"firstName": "B", "lastName": "Only"}
    )
    assert created.status_code == 201
    for response in (api.get(PREFS.format(55)), api.put(PREFS.format(55), json=[])):
        assert response.status_code == 404
        assert response.json()["errorMessage"] == "Customer 55 not found."


def test_blocked_channel_reads_inactive_and_cannot_be_activated(
    api: TestClient, admin: TestClient, world: World, db: Database
) -> None:
    optin = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}
    ]
    assert api.put(PREFS.format(1), json=optin).status_code == 200
    blocked = admin.put(
        f"/admin/v1/studios/{world.studio_a}/customers/1/suppressions/EMAIL", json={"reason": "HARD_BOUNCE"}
    )
    assert blocked.status_code == 200
    body = api.get(PREFS.format(1)).json()
    for entry in body:
        for channel in entry["channels"]:
            if channel["communicationChannel"] == "EMAIL":
                assert channel == {
                    "communicationChannel": "EMAIL",
                    "customerOverridable": False,
                    "active": False,
                }
    entries = ledger_count(db)
    refused = api.put(PREFS.format(1), json=optin)
    assert refused.status_code == 409
    assert refused.json()["errorCode"] == "CHANNEL_SUPPRESSED"
    assert refused.json()["reference"] == "[0].channels[0].active"
    assert ledger_count(db) == entries
    assert (
        admin.delete(f"/admin/v1/studios/{world.studio_a}/customers/1/suppressions/EMAIL").status_code == 204
    )
    assert channels(api.get(PREFS.format(1)).json(), "NEWSLETTER")["EMAIL"] is True
