"""GET /v1/studios/information and POST /v1/studios/confirmActivation (official studio operations)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.assertions import assert_error
from tests.conftest import FixedClock
from tests.factories import World

INFO = "/v1/studios/information"
CONFIRM = "/v1/studios/confirmActivation"
ADMIN_INFO = "/admin/v1/studios/{}/information"
KEYS = "/admin/v1/studios/{}/api-keys"

FULL: dict[str, Any] = {
    "description": "Gym in the middle of town",
    "country": "Germany",
    "countryCode": "DE",
    "openingDate": "2025-06-11",
    "closingDate": "2029-01-01",
    "email": "operator@example.com",
    "logoUrl": "https://example.com/logo.png",
    "telephone": "0831/6901234-10",
    "website": "https://example.com",
    "openingHours": [
        {
            "dayOfWeekFrom": "MONDAY",
            "dayOfWeekTo": "FRIDAY",
            "timeFrom": {"hour": 6, "minute": 0, "second": 0, "nano": 0},
            "timeTo": {"hour": 23, "minute": 30, "second": 0, "nano": 0},
        }
    ],
    "publicOpeningHours": [
        {
            "dayOfWeekFrom": "SATURDAY",
            "dayOfWeekTo": "SUNDAY",
            "timeFrom": {"hour": 8, "minute": 0},
            "timeTo": {"hour": 20, "minute": 0},
        }
    ],
    "closingHours": [
        {
            "reason": "Public holiday",
            "dateTimeFrom": "2025-09-21T00:00:00",
            "dateTimeTo": "2025-09-22T00:00:00",
        }
    ],
    "street": "Kastanienallee",
    "houseNumber": "83",
    "zip": "84439",
    "city": "Berlin",
    "accessCodeConfiguration": {"enabled": False},
    "location": {"longitude": 9.993682, "latitude": 53.551086},
    "studioTags": [{"name": "premium"}, {"name": "sauna"}],
}


def bare(studio: int, name: str) -> dict[str, Any]:
    """What a studio whose operator set no information answers."""
    return {"studioId": studio, "name": name, "accessCodeConfiguration": {"enabled": False}}


def key_with(admin: TestClient, studio: int, scopes: list[str], name: str = "integration") -> str:
    created = admin.post(KEYS.format(studio), json={"name": name, "scopes": scopes})
    assert created.status_code == 201, created.text
    key: str = created.json()["apiKey"]
    return key


def test_a_new_studio_answers_its_id_name_and_access_code_configuration(
    api: TestClient, world: World
) -> None:
    response = api.get(INFO)
    assert response.status_code == 200, response.text
    assert response.json() == bare(world.studio_a, "Studio A")


def test_what_the_operator_sets_the_key_reads_field_for_field(
    api: TestClient, admin: TestClient, world: World
) -> None:
    put = admin.put(ADMIN_INFO.format(world.studio_a), json=FULL)
    assert put.status_code == 200, put.text
    expected = {**FULL, "studioId": world.studio_a, "name": "Studio A"}
    assert put.json() == expected
    assert api.get(INFO).json() == expected
    assert admin.get(ADMIN_INFO.format(world.studio_a)).json() == expected
    # Studio B's key sees studio B.
    assert api.get(INFO, headers={"X-API-KEY": world.key_b}).json() == bare(world.studio_b, "Studio B")


def test_put_replaces_the_whole_information_and_may_rename(
    api: TestClient, admin: TestClient, world: World
) -> None:
    admin.put(ADMIN_INFO.format(world.studio_a), json=FULL)
    smaller = {"name": "Studio A Mitte", "city": "Berlin", "accessCodeConfiguration": {"enabled": True}}
    assert admin.put(ADMIN_INFO.format(world.studio_a), json=smaller).status_code == 200
    assert api.get(INFO).json() == {**smaller, "studioId": world.studio_a}
    assert admin.get(f"/admin/v1/studios/{world.studio_a}").json()["name"] == "Studio A Mitte"


@pytest.mark.parametrize(
    ("field", "value", "reference"),
    [
        ("countryCode", "Germany", "countryCode"),
        ("email", "not an address", "email"),
        ("website", "javascript:alert(1)", "website"),
        ("logoUrl", "data:image/png;base64,AAAA", "logoUrl"),
        ("openingDate", "11.06.2025", "openingDate"),
        ("openingHours", [{"timeFrom": {"hour": 24}}], "openingHours[0].timeFrom.hour"),
        ("openingHours", [{"dayOfWeekFrom": "FUNDAY"}], "openingHours[0].dayOfWeekFrom"),
        ("location", {"latitude": 91}, "location.latitude"),
        ("studioTags", [{"name": " "}], "studioTags[0].name"),
        ("name", "", "name"),
    ],
)
def test_invalid_information_is_400_naming_the_field_and_changes_nothing(
    api: TestClient, admin: TestClient, world: World, field: str, value: object, reference: str
) -> None:
    before = api.get(INFO).json()
    response = admin.put(ADMIN_INFO.format(world.studio_a), json={**FULL, field: value})
    assert_error(response, 400, "VALIDATION_FAILED", reference)
    assert api.get(INFO).json() == before


def test_information_of_an_unknown_studio_is_404(admin: TestClient) -> None:
    assert_error(admin.get(ADMIN_INFO.format(2**62)), 404, "STUDIO_NOT_FOUND")
    assert_error(admin.put(ADMIN_INFO.format(2**62), json=FULL), 404, "STUDIO_NOT_FOUND")


def test_information_needs_the_studio_read_scope_which_keys_can_be_granted(
    client: TestClient, admin: TestClient, world: World
) -> None:
    assert_error(client.get(INFO), 401, "AUTHENTICATION_FAILED")
    assert_error(
        client.get(INFO, headers={"X-API-KEY": "sck_000000000000_nope"}), 401, "AUTHENTICATION_FAILED"
    )
    without = key_with(admin, world.studio_a, ["COMMUNICATION_READ"])
    body = assert_error(client.get(INFO, headers={"X-API-KEY": without}), 403, "MISSING_SCOPE")
    assert "STUDIO_READ" in body["errorMessage"]
    granted = key_with(admin, world.studio_a, ["STUDIO_READ"], name="onboarding tool")
    assert client.get(INFO, headers={"X-API-KEY": granted}).json()["studioId"] == world.studio_a


def test_confirm_activation_records_the_key_and_time_once(
    client: TestClient, admin: TestClient, world: World, clock: FixedClock
) -> None:
    # The official operation names no scope: a key with any scope confirms.
    key = key_with(admin, world.studio_a, ["COMMUNICATION_WRITE"], name="crm")
    first = client.post(CONFIRM, headers={"X-API-KEY": key})
    assert first.status_code == 200, first.text
    assert first.content == b""
    confirmed_at = clock.now
    clock.now += timedelta(hours=1)
    again = client.post(CONFIRM, headers={"X-API-KEY": key})
    assert again.status_code == 200
    keys = {k["name"]: k for k in admin.get(KEYS.format(world.studio_a)).json()}
    assert keys["crm"]["activationConfirmedAt"] == confirmed_at.isoformat().replace("+00:00", "Z")
    assert "activationConfirmedAt" not in keys["key A"]  # another key of the studio did not confirm


def test_confirm_activation_without_a_valid_key_is_401_and_records_nothing(
    client: TestClient, admin: TestClient, world: World
) -> None:
    assert_error(client.post(CONFIRM), 401, "AUTHENTICATION_FAILED")
    key = key_with(admin, world.studio_a, ["COMMUNICATION_READ"], name="gone")
    key_id = next(k["keyId"] for k in admin.get(KEYS.format(world.studio_a)).json() if k["name"] == "gone")
    assert admin.delete(f"{KEYS.format(world.studio_a)}/{key_id}").status_code == 204
    assert_error(client.post(CONFIRM, headers={"X-API-KEY": key}), 401, "AUTHENTICATION_FAILED")
    keys = admin.get(KEYS.format(world.studio_a)).json()
    assert all("activationConfirmedAt" not in k for k in keys)


def test_confirm_activation_is_post_only(api: TestClient) -> None:
    refused = api.get(CONFIRM)
    assert_error(refused, 405, "METHOD_NOT_ALLOWED")
    assert refused.headers["allow"] == "HEAD, POST, OPTIONS"  # HEAD checks the key on any /v1 path


@pytest.mark.parametrize(
    ("schema", "field", "minimum", "maximum"),
    [
        ("LocalTime", "hour", 0, 23),
        ("LocalTime", "minute", 0, 59),
        ("LocalTime", "second", 0, 59),
        ("LocalTime", "nano", 0, 999_999_999),
        ("StudioLocation", "latitude", -90, 90),
        ("StudioLocation", "longitude", -180, 180),
    ],
)
def test_the_published_schema_states_the_bounds_the_information_checks(
    admin: TestClient,
    world: World,
    openapi_document: dict[str, Any],
    schema: str,
    field: str,
    minimum: int,
    maximum: int,
) -> None:
    """A fuzzer reading the document sends only what is accepted (the type's own schema must not
    drop the bounds its check applies): a value just outside is refused, the bounds accepted."""
    published = openapi_document["components"]["schemas"][schema]["properties"][field]
    assert (published["minimum"], published["maximum"]) == (minimum, maximum)
    where = "openingHours" if schema == "LocalTime" else "location"

    def body(value: int) -> dict[str, Any]:
        if where == "location":
            return {**FULL, "location": {field: value}}
        return {**FULL, "openingHours": [{"timeFrom": {field: value}}]}

    for outside in (minimum - 1, maximum + 1):
        refused = admin.put(ADMIN_INFO.format(world.studio_a), json=body(outside))
        reference = f"openingHours[0].timeFrom.{field}" if where == "openingHours" else f"location.{field}"
        assert_error(refused, 400, "VALIDATION_FAILED", reference)
    for bound in (minimum, maximum):
        assert admin.put(ADMIN_INFO.format(world.studio_a), json=body(bound)).status_code == 200
