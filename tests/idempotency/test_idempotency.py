"""Idempotency-Key: replay, reuse with another body, in use, per API key, expiry, failed requests."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from studio_comms.apikeys.models import ApiKey
from studio_comms.core.auth import prefix_of
from studio_comms.db.database import Database
from studio_comms.idempotency.models import IdempotencyRecord
from studio_comms.idempotency.service import fingerprint
from tests.conftest import FixedClock
from tests.dbtools import orm
from tests.factories import World

PREFS = "/v1/communications/1/communication-preferences"
HISTORY = PREFS + "/history"
OPT_IN = [{"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}]
OPT_OUT = [
    {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": False}]}
]


def entries(api: TestClient) -> int:
    return len(api.get(HISTORY).json()["result"])


def test_same_key_and_body_replays_the_stored_response(api: TestClient) -> None:
    first = api.put(PREFS, json=OPT_IN, headers={"Idempotency-Key": "k1"})
    assert first.status_code == 200
    assert "Idempotent-Replayed" not in first.headers
    api.put(PREFS, json=OPT_OUT)  # someone else changes it back meanwhile
    again = api.put(PREFS, json=OPT_IN, headers={"Idempotency-Key": "k1"})
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert entries(api) == 2  # the replay applied nothing


def test_same_key_with_a_different_body_is_409(api: TestClient) -> None:
    assert api.put(PREFS, json=OPT_IN, headers={"Idempotency-Key": "k2"}).status_code == 200
    response = api.put(PREFS, json=OPT_OUT, headers={"Idempotency-Key": "k2"})
    assert response.status_code == 409
    assert response.json()["errorCode"] == "IDEMPOTENCY_KEY_REUSED"
    assert entries(api) == 1


def test_same_key_on_another_path_is_a_different_request(api: TestClient) -> None:
    assert api.put(PREFS, json=OPT_IN, headers={"Idempotency-Key": "k3"}).status_code == 200
    other = api.put(
        "/v1/communications/2/communication-preferences", json=OPT_IN, headers={"Idempotency-Key": "k3"}
    )
    assert other.status_code == 409
    assert other.json()["errorCode"] == "IDEMPOTENCY_KEY_REUSED"


def test_key_formatting_of_json_does_not_matter(api: TestClient) -> None:
    api.put(PREFS, json=OPT_IN, headers={"Idempotency-Key": "k4"})
    spaced = (
        b'[ {"channels": [{"active": true, "communicationChannel": "EMAIL"}],'
        b' "messageCategory": "NEWSLETTER"} ]'
    )
    again = api.put(
        PREFS, content=spaced, headers={"Idempotency-Key": "k4", "Content-Type": "application/json"}
    )
    assert again.headers.get("Idempotent-Replayed") == "true"


def _claim_in_progress(db: Database, api_key: str, key: str, clock: FixedClock) -> None:
    prefix = prefix_of(api_key)
    with orm(db) as session:
        key_id = session.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix))
        assert key_id is not None
        session.add(
            IdempotencyRecord(
                api_key_id=key_id,
                idempotency_key=key,
                fingerprint=fingerprint(
                    "PUT",
                    PREFS,
                    b'[{"messageCategory":"NEWSLETTER","channels":'
                    b'[{"communicationChannel":"EMAIL","active":true}]}]',
                ),
                created_at=clock.now,
            )
        )
        session.commit()


def test_unfinished_claim_of_a_dead_request_is_taken_over_at_once(
    api: TestClient, db: Database, world: World, clock: FixedClock
) -> None:
    # Earlier versions committed a claim before the work; one whose request died stays unfinished.
    # Nobody holds the key any more (it is held only by a running transaction): no waiting.
    _claim_in_progress(db, world.key_a, "k5", clock)
    taken_over = api.put(PREFS, json=OPT_IN, headers={"Idempotency-Key": "k5"})
    assert taken_over.status_code == 200
    assert "Idempotent-Replayed" not in taken_over.headers
    assert entries(api) == 1
    replayed = api.put(PREFS, json=OPT_IN, headers={"Idempotency-Key": "k5"})
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    assert entries(api) == 1


def test_keys_are_per_api_key(client: TestClient, admin: TestClient, world: World) -> None:
    # Studio B's key uses the same Idempotency-Key for its own customer 1: unrelated requests.
    a = client.put(PREFS, json=OPT_IN, headers={"X-API-KEY": world.key_a, "Idempotency-Key": "same"})
    b = client.put(PREFS, json=OPT_IN, headers={"X-API-KEY": world.key_b, "Idempotency-Key": "same"})
    assert a.status_code == b.status_code == 200
    assert "Idempotent-Replayed" not in b.headers
    history_b = client.get(HISTORY, headers={"X-API-KEY": world.key_b}).json()["result"]
    assert len(history_b) == 1


def test_stored_response_expires_after_24_hours(api: TestClient, clock: FixedClock) -> None:
    api.put(PREFS, json=OPT_IN, headers={"Idempotency-Key": "k6"})
    api.put(PREFS, json=OPT_OUT)
    clock.now += timedelta(hours=24, seconds=1)
    again = api.put(PREFS, json=OPT_IN, headers={"Idempotency-Key": "k6"})
    assert "Idempotent-Replayed" not in again.headers
    assert entries(api) == 3


def test_failed_request_releases_its_key(api: TestClient, admin: TestClient, world: World) -> None:
    path = "/v1/communications/66/communication-preferences"
    missing = api.put(path, json=OPT_IN, headers={"Idempotency-Key": "k7"})
    assert missing.status_code == 404
    admin.put(f"/admin/v1/studios/{world.studio_a}/customers/66", json={"firstName": "N", "lastName": "Ew"})
    retried = api.put(path, json=OPT_IN, headers={"Idempotency-Key": "k7"})
    assert retried.status_code == 200
    assert "Idempotent-Replayed" not in retried.headers


def test_refused_body_is_not_stored_either(api: TestClient) -> None:
    bad = [{"messageCategory": "CONTRACT", "channels": [{"communicationChannel": "EMAIL", "active": False}]}]
    for _ in range(2):
        response = api.put(PREFS, json=bad, headers={"Idempotency-Key": "k8"})
        assert response.status_code == 400
        assert "Idempotent-Replayed" not in response.headers


def test_overlong_key_is_400(api: TestClient) -> None:
    response = api.put(PREFS, json=OPT_IN, headers={"Idempotency-Key": "x" * 256})
    assert response.status_code == 400
    assert response.json()["reference"] == "Idempotency-Key"
