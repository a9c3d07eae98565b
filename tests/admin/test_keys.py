"""Operator API for a studio's API keys: shown once, stored hashed, revoked at once, per studio."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from studio_comms.db.database import Database
from tests.assertions import assert_error
from tests.dbtools import orm
from tests.factories import World

STUDIOS = "/admin/v1/studios"
KEYS = "/admin/v1/studios/{}/api-keys"
PREFS = "/v1/communications/{}/communication-preferences"
ALL_SCOPES = [
    "COMMUNICATION_PREFERENCES_READ",
    "COMMUNICATION_PREFERENCES_WRITE",
    "COMMUNICATION_READ",
    "COMMUNICATION_WRITE",
    "WEBHOOKS_MANAGE",
    "STUDIO_READ",
    "CUSTOMER_READ",
]
OPT_IN = [{"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}]


def new_studio_with_customer(admin: TestClient) -> int:
    studio = admin.post(STUDIOS, json={"name": "Key Studio"})
    assert studio.status_code == 201, studio.text
    studio_id: int = studio.json()["studioId"]
    customer = admin.put(
        f"{STUDIOS}/{studio_id}/customers/1", json={"firstName": "Erika", "lastName": "Mustermann"}
    )
    assert customer.status_code == 201, customer.text
    return studio_id


def create_key(
    admin: TestClient, studio_id: int, name: str = "partner", scopes: list[str] | None = None
) -> dict[str, Any]:
    response = admin.post(KEYS.format(studio_id), json={"name": name, "scopes": scopes or ALL_SCOPES})
    assert response.status_code == 201, response.text
    return response.json()


def key_id_of(admin: TestClient, studio_id: int, name: str) -> int:
    keys = admin.get(KEYS.format(studio_id)).json()
    return int(next(key["keyId"] for key in keys if key["name"] == name))


def test_create_key_shows_the_secret_once(admin: TestClient) -> None:
    studio_id = new_studio_with_customer(admin)
    response = admin.post(
        KEYS.format(studio_id),
        json={"name": "member app", "scopes": ["COMMUNICATION_PREFERENCES_READ"]},
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == {"keyId", "apiKey", "name", "scopes"}
    assert isinstance(created["keyId"], int)
    assert created["name"] == "member app"
    assert created["scopes"] == ["COMMUNICATION_PREFERENCES_READ"]
    marker, prefix, secret = created["apiKey"].split("_", 2)
    assert marker == "sck"
    assert len(prefix) == 12
    assert len(secret) >= 32

    listed = admin.get(KEYS.format(studio_id))
    assert listed.status_code == 200
    assert created["apiKey"] not in listed.text
    assert secret not in listed.text
    (entry,) = listed.json()
    assert "apiKey" not in entry
    assert entry["keyId"] == created["keyId"]
    assert entry["name"] == "member app"
    assert entry["scopes"] == ["COMMUNICATION_PREFERENCES_READ"]
    assert entry["prefix"] == f"sck_{prefix}"
    assert created["apiKey"].startswith(entry["prefix"] + "_")
    assert entry["createdAt"] == "2026-11-27T09:00:00Z"
    assert entry.get("revokedAt") is None


def test_two_keys_are_different_and_both_listed(admin: TestClient) -> None:
    studio_id = new_studio_with_customer(admin)
    first = create_key(admin, studio_id, "one")
    second = create_key(admin, studio_id, "two")
    assert first["apiKey"] != second["apiKey"]
    assert first["keyId"] != second["keyId"]
    listed = admin.get(KEYS.format(studio_id)).json()
    assert [key["name"] for key in listed] == ["one", "two"]
    assert listed[0]["prefix"] != listed[1]["prefix"]


def test_created_key_works_against_the_partner_api(admin: TestClient, client: TestClient) -> None:
    studio_id = new_studio_with_customer(admin)
    key = create_key(admin, studio_id, scopes=["COMMUNICATION_PREFERENCES_READ"])["apiKey"]
    response = client.get(PREFS.format(1), headers={"X-API-KEY": key})
    assert response.status_code == 200, response.text
    assert [entry["messageCategory"] for entry in response.json()] == [
        "CONTRACT",
        "GENERAL",
        "APPOINTMENT",
        "NEWSLETTER",
        "LOYALTY_PROGRAM",
    ]
    # The key carries only the scope it was given.
    refused = client.put(PREFS.format(1), headers={"X-API-KEY": key}, json=OPT_IN)
    body = assert_error(refused, 403, "MISSING_SCOPE")
    assert "COMMUNICATION_PREFERENCES_WRITE" in body["errorMessage"]
    # A customer the studio does not have is a 404 for the key's studio.
    assert_error(client.get(PREFS.format(2), headers={"X-API-KEY": key}), 404, "CUSTOMER_NOT_FOUND")


def test_duplicate_scopes_are_stored_once_in_canonical_order(admin: TestClient) -> None:
    studio_id = new_studio_with_customer(admin)
    created = create_key(
        admin,
        studio_id,
        scopes=["COMMUNICATION_WRITE", "COMMUNICATION_PREFERENCES_READ", "COMMUNICATION_WRITE"],
    )
    assert created["scopes"] == ["COMMUNICATION_PREFERENCES_READ", "COMMUNICATION_WRITE"]
    assert admin.get(KEYS.format(studio_id)).json()[0]["scopes"] == created["scopes"]


@pytest.mark.parametrize(
    ("body", "reference"),
    [
        ({"name": "k", "scopes": ["ADMIN"]}, "scopes[0]"),
        ({"name": "k", "scopes": ["COMMUNICATION_READ", "communication_write"]}, "scopes[1]"),
        ({"name": "k", "scopes": []}, "scopes"),
        ({"name": "k"}, "scopes"),
        ({"name": "k", "scopes": "COMMUNICATION_READ"}, "scopes"),
        ({"name": "", "scopes": ["COMMUNICATION_READ"]}, "name"),
        ({"scopes": ["COMMUNICATION_READ"]}, "name"),
    ],
)
def test_invalid_key_requests_are_400(
    admin: TestClient, world: World, body: dict[str, Any], reference: str
) -> None:
    before = admin.get(KEYS.format(world.studio_a)).json()
    response = admin.post(KEYS.format(world.studio_a), json=body)
    assert_error(response, 400, "VALIDATION_FAILED", reference)
    assert admin.get(KEYS.format(world.studio_a)).json() == before


def test_keys_of_an_unknown_studio_are_404(admin: TestClient) -> None:
    unknown = 2**62
    assert_error(admin.get(KEYS.format(unknown)), 404, "STUDIO_NOT_FOUND")
    response = admin.post(KEYS.format(unknown), json={"name": "k", "scopes": ALL_SCOPES})
    assert_error(response, 404, "STUDIO_NOT_FOUND")
    assert_error(admin.delete(f"{KEYS.format(unknown)}/1"), 404, "STUDIO_NOT_FOUND")


@pytest.mark.parametrize("key_id", ["9223372036854775808", "abc", "1.0"])
def test_invalid_key_id_is_400(admin: TestClient, world: World, key_id: str) -> None:
    response = admin.delete(f"{KEYS.format(world.studio_a)}/{key_id}")
    assert_error(response, 400, "VALIDATION_FAILED", "keyId")


@pytest.mark.parametrize("key_id", ["0", "-1"])
def test_a_key_id_below_one_is_404(admin: TestClient, world: World, key_id: str) -> None:
    response = admin.delete(f"{KEYS.format(world.studio_a)}/{key_id}")
    assert_error(response, 404, "API_KEY_NOT_FOUND")


def test_revoked_key_is_refused_at_once(admin: TestClient, client: TestClient) -> None:
    studio_id = new_studio_with_customer(admin)
    created = create_key(admin, studio_id)
    headers = {"X-API-KEY": created["apiKey"]}
    assert client.get(PREFS.format(1), headers=headers).status_code == 200

    response = admin.delete(f"{KEYS.format(studio_id)}/{created['keyId']}")
    assert response.status_code == 204
    assert response.content == b""

    assert_error(client.get(PREFS.format(1), headers=headers), 401, "AUTHENTICATION_FAILED")
    assert_error(client.put(PREFS.format(1), headers=headers, json=OPT_IN), 401, "AUTHENTICATION_FAILED")
    assert client.head(PREFS.format(1), headers=headers).status_code == 401
    # The revoked key stays listed, marked revoked, for the audit trail.
    (entry,) = admin.get(KEYS.format(studio_id)).json()
    assert entry["keyId"] == created["keyId"]
    assert entry["revokedAt"] == "2026-11-27T09:00:00Z"


def test_revoking_twice_is_404(admin: TestClient) -> None:
    studio_id = new_studio_with_customer(admin)
    created = create_key(admin, studio_id)
    path = f"{KEYS.format(studio_id)}/{created['keyId']}"
    assert admin.delete(path).status_code == 204
    body = assert_error(admin.delete(path), 404, "API_KEY_NOT_FOUND")
    assert str(created["keyId"]) in body["errorMessage"]


def test_revoking_an_unknown_key_is_404(admin: TestClient, world: World) -> None:
    assert_error(admin.delete(f"{KEYS.format(world.studio_a)}/{2**62}"), 404, "API_KEY_NOT_FOUND")


def test_revoking_one_key_leaves_the_others_working(admin: TestClient, client: TestClient) -> None:
    studio_id = new_studio_with_customer(admin)
    doomed = create_key(admin, studio_id, "doomed")
    kept = create_key(admin, studio_id, "kept")
    assert admin.delete(f"{KEYS.format(studio_id)}/{doomed['keyId']}").status_code == 204
    assert client.get(PREFS.format(1), headers={"X-API-KEY": kept["apiKey"]}).status_code == 200
    assert_error(
        client.get(PREFS.format(1), headers={"X-API-KEY": doomed["apiKey"]}), 401, "AUTHENTICATION_FAILED"
    )


def test_another_studios_key_cannot_be_revoked_through_this_studio(
    admin: TestClient, client: TestClient, world: World
) -> None:
    key_b = key_id_of(admin, world.studio_b, "key B")
    response = admin.delete(f"{KEYS.format(world.studio_a)}/{key_b}")
    assert_error(response, 404, "API_KEY_NOT_FOUND")
    # Studio B's key still works and is still listed as active.
    assert client.get(PREFS.format(1), headers={"X-API-KEY": world.key_b}).status_code == 200
    entry = next(k for k in admin.get(KEYS.format(world.studio_b)).json() if k["keyId"] == key_b)
    assert entry.get("revokedAt") is None
    # And studio A's list does not show it.
    assert key_b not in [k["keyId"] for k in admin.get(KEYS.format(world.studio_a)).json()]


def test_a_key_only_sees_its_own_studio(admin: TestClient, client: TestClient, world: World) -> None:
    studio_id = new_studio_with_customer(admin)
    key = create_key(admin, studio_id)["apiKey"]
    # Customer 2 exists in studios A and B but not in the new studio.
    assert_error(client.get(PREFS.format(2), headers={"X-API-KEY": key}), 404, "CUSTOMER_NOT_FOUND")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda key: key[:-1] + ("A" if key[-1] != "A" else "B"),
        lambda key: key + "x",
        lambda key: key.replace("sck_", "xyz_", 1),
        lambda key: key.split("_", 2)[0] + "_" + key.split("_", 2)[1],
        lambda key: key.upper(),
    ],
    ids=["last-char", "appended", "marker", "no-secret", "upper"],
)
def test_a_mangled_key_is_refused(admin: TestClient, client: TestClient, mangle: Any) -> None:
    studio_id = new_studio_with_customer(admin)
    key = create_key(admin, studio_id)["apiKey"]
    response = client.get(PREFS.format(1), headers={"X-API-KEY": mangle(key)})
    assert_error(response, 401, "AUTHENTICATION_FAILED")


def test_keys_are_stored_hashed(admin: TestClient, db: Database) -> None:
    studio_id = new_studio_with_customer(admin)
    created = create_key(admin, studio_id, "hashed")
    plaintext = created["apiKey"]
    secret = plaintext.split("_", 2)[2]
    with orm(db) as session:
        rows = (
            session.execute(text("SELECT * FROM api_keys WHERE studio_id = :studio"), {"studio": studio_id})
            .mappings()
            .all()
        )
    assert len(rows) == 1
    row = dict(rows[0])
    for column, value in row.items():
        as_text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
        assert plaintext not in as_text, column
        assert secret not in as_text, column
    assert row["key_digest"] == hashlib.sha256(plaintext.encode()).hexdigest()
