"""Operator API: studios."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.admin.helpers import (
    SETTINGS,
    STUDIOS,
    UNKNOWN_STUDIO,
    create_studio,
)
from tests.assertions import assert_error
from tests.factories import World


def test_create_studio_answers_201_with_defaults(admin: TestClient) -> None:
    response = admin.post(STUDIOS, json={"name": "Fit Mitte"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {
        "studioId",
        "name",
        "language",
        "timeZone",
        "consentEnforcement",
        "consentEnforcementChosen",
    }
    assert (body["consentEnforcement"], body["consentEnforcementChosen"]) == ("RECORD", False)
    assert isinstance(body["studioId"], int)
    assert body["studioId"] >= 1
    assert body["name"] == "Fit Mitte"
    assert body["language"] == "de"
    assert body["timeZone"] == "Europe/Berlin"
    assert response.headers["content-type"].startswith("application/json")


def test_create_studio_keeps_given_language_and_time_zone(admin: TestClient) -> None:
    body = create_studio(admin, name="Gym NYC", language="en-US", timeZone="America/New_York")
    assert body["language"] == "en-US"
    assert body["timeZone"] == "America/New_York"
    fetched = admin.get(f"{STUDIOS}/{body['studioId']}")
    assert fetched.status_code == 200
    assert fetched.json() == body


def test_studio_ids_are_distinct(admin: TestClient) -> None:
    first = create_studio(admin, name="One")["studioId"]
    second = create_studio(admin, name="Two")["studioId"]
    assert first != second
    assert admin.get(f"{STUDIOS}/{first}").json()["name"] == "One"
    assert admin.get(f"{STUDIOS}/{second}").json()["name"] == "Two"


@pytest.mark.parametrize(
    ("body", "reference"),
    [
        ({"name": ""}, "name"),
        ({}, "name"),
        ({"name": None}, "name"),
        ({"name": 42}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "S", "timeZone": "Mars/Olympus"}, "timeZone"),
        ({"name": "S", "timeZone": ""}, "timeZone"),
        ({"name": "S", "timeZone": "europe/berlin"}, "timeZone"),
        ({"name": "S", "timeZone": "../../etc/passwd"}, "timeZone"),
        ({"name": "S", "timeZone": "/etc/localtime"}, "timeZone"),
        ({"name": "S", "timeZone": "Europe"}, "timeZone"),
        ({"name": "S", "timeZone": "Europe/Berlin\u0000"}, "timeZone"),
        ({"name": "S", "language": "german"}, "language"),
        ({"name": "S", "language": "DE"}, "language"),
        ({"name": "S", "language": "de_DE"}, "language"),
        ({"name": "S", "language": "de-de"}, "language"),
        ({"name": "S", "language": "de\n"}, "language"),
        ({"name": "S", "language": ""}, "language"),
        ({"name": "   "}, "name"),
        ({"name": "S", "timeZone": "Factory"}, "timeZone"),
    ],
)
def test_create_studio_rejects_invalid_fields(admin: TestClient, body: Any, reference: str) -> None:
    response = admin.post(STUDIOS, json=body)
    assert_error(response, 400, "VALIDATION_FAILED", reference)


def test_create_studio_rejects_malformed_json_and_non_json(admin: TestClient) -> None:
    response = admin.post(STUDIOS, content=b'{"name": ', headers={"Content-Type": "application/json"})
    assert_error(response, 400, "MALFORMED_JSON")
    response = admin.post(STUDIOS, content=b"name=x", headers={"Content-Type": "text/plain"})
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_get_studio(admin: TestClient, world: World) -> None:
    response = admin.get(f"{STUDIOS}/{world.studio_a}")
    assert response.status_code == 200
    assert response.json() == {
        "studioId": world.studio_a,
        "name": "Studio A",
        "language": "de",
        "timeZone": "Europe/Berlin",
        "consentEnforcement": "RECORD",
        "consentEnforcementChosen": False,
    }


def test_get_unknown_studio_is_404(admin: TestClient) -> None:
    body = assert_error(admin.get(f"{STUDIOS}/{UNKNOWN_STUDIO}"), 404, "STUDIO_NOT_FOUND")
    assert str(UNKNOWN_STUDIO) in body["errorMessage"]
    assert_error(admin.get(SETTINGS.format(UNKNOWN_STUDIO)), 404, "STUDIO_NOT_FOUND")
    assert_error(admin.put(SETTINGS.format(UNKNOWN_STUDIO), json=[]), 404, "STUDIO_NOT_FOUND")


@pytest.mark.parametrize("studio_id", ["9223372036854775808", "-9223372036854775809", "abc", "1.5"])
def test_invalid_studio_id_is_400_naming_it(admin: TestClient, studio_id: str) -> None:
    assert_error(admin.get(f"{STUDIOS}/{studio_id}"), 400, "VALIDATION_FAILED", "studioId")
    assert_error(admin.get(SETTINGS.format(studio_id)), 400, "VALIDATION_FAILED", "studioId")


@pytest.mark.parametrize("studio_id", ["0", "-1"])
def test_a_studio_id_below_one_is_404(admin: TestClient, studio_id: str) -> None:
    assert_error(admin.get(f"{STUDIOS}/{studio_id}"), 404, "STUDIO_NOT_FOUND")
    assert_error(admin.get(SETTINGS.format(studio_id)), 404, "STUDIO_NOT_FOUND")


@pytest.mark.parametrize("mode", ["REJECT", "RECORD"])
def test_a_mode_given_at_creation_counts_as_chosen(admin: TestClient, mode: str) -> None:
    body = create_studio(admin, name="Strict Gym", consentEnforcement=mode)
    assert (body["consentEnforcement"], body["consentEnforcementChosen"]) == (mode, True)
