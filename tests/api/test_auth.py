"""401 for missing, unknown, malformed and revoked keys; 403 for a missing scope; HEAD checks the key."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from studio_comms.core.auth import Scope
from studio_comms.db.database import Database
from tests.conftest import FixedClock
from tests.factories import World, make_key

PREFS = "/v1/communications/1/communication-preferences"
BODY = [{"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}]


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-API-KEY": ""}, {"X-API-KEY": "nonsense"}, {"X-API-KEY": "sck_000000000000_wrongsecret"}],
)
def test_missing_or_unknown_key_is_401(client: TestClient, world: World, headers: dict[str, str]) -> None:
    for response in (client.get(PREFS, headers=headers), client.put(PREFS, json=BODY, headers=headers)):
        assert response.status_code == 401
        assert response.json()["errorCode"] == "AUTHENTICATION_FAILED"


def test_right_prefix_with_wrong_secret_is_401(client: TestClient, world: World) -> None:
    forged = world.key_a[:17] + "A" * 43
    assert client.get(PREFS, headers={"X-API-KEY": forged}).status_code == 401


def test_missing_key_is_401_even_with_a_bad_body(client: TestClient, world: World) -> None:
    response = client.put(PREFS, json={"not": "a list"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("GET", PREFS, Scope.COMMUNICATION_PREFERENCES_READ),
        ("PUT", PREFS, Scope.COMMUNICATION_PREFERENCES_WRITE),
        ("GET", PREFS + "/history", Scope.COMMUNICATION_PREFERENCES_READ),
        (
            "GET",
            "/v1/communications/1/communication-permission?messageCategory=GENERAL"
            "&communicationChannel=EMAIL",
            Scope.COMMUNICATION_PREFERENCES_READ,
        ),
    ],
)
def test_missing_scope_is_403_naming_it(
    client: TestClient, db: Database, world: World, clock: FixedClock, method: str, path: str, scope: Scope
) -> None:
    others = [s for s in Scope if s is not scope]
    with db.transaction() as session:
        key = make_key(session, world.studio_a, now=clock.now, scopes=others)
    response = client.request(
        method, path, json=BODY if method == "PUT" else None, headers={"X-API-KEY": key}
    )
    assert response.status_code == 403
    body = response.json()
    assert body["errorCode"] == "MISSING_SCOPE"
    assert scope.value in body["errorMessage"]


def test_revoked_key_is_401_at_once(admin: TestClient, world: World) -> None:
    keys = admin.get(f"/admin/v1/studios/{world.studio_a}/api-keys").json()
    key_id = next(k["keyId"] for k in keys if k["name"] == "key A")
    headers = {"X-API-KEY": world.key_a}
    assert admin.get(PREFS, headers=headers).status_code == 200
    assert admin.delete(f"/admin/v1/studios/{world.studio_a}/api-keys/{key_id}").status_code == 204
    response = admin.get(PREFS, headers=headers)
    assert response.status_code == 401
    assert response.json()["errorCode"] == "AUTHENTICATION_FAILED"


def test_head_only_checks_the_key(client: TestClient, world: World) -> None:
    good = {"X-API-KEY": world.key_a}
    assert client.head(PREFS, headers=good).status_code == 200
    assert client.head("/v1/communications/424242/communication-preferences", headers=good).status_code == 200
    assert client.head("/v1/anything/at/all", headers=good).status_code == 200
    assert client.head(PREFS).status_code == 401
    assert client.head(PREFS, headers={"X-API-KEY": "sck_000000000000_nope"}).status_code == 401
