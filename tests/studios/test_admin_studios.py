"""Operator API: authentication of every ``/admin`` route, studios and their communication settings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from studio_comms.customers.models import Customer
from studio_comms.db.session import Database
from studio_comms.main import create_app
from studio_comms.preferences.models import Suppression
from studio_comms.preferences.repository import PreferencesRepository
from studio_comms.preferences.schemas import CommunicationPreference
from studio_comms.preferences.service import offer_to_wire
from studio_comms.settings import Settings
from studio_comms.studios.models import Studio
from tests.assertions import assert_error
from tests.conftest import ADMIN_TOKEN, FixedClock
from tests.factories import World

STUDIOS = "/admin/v1/studios"
SETTINGS = "/admin/v1/studios/{}/communication-settings"
PREFS = "/v1/communications/{}/communication-preferences"
UNKNOWN_STUDIO = 2**62

DEFAULT_SETTINGS = [
    {
        "messageCategory": "CONTRACT",
        "channels": [
            {"communicationChannel": "LETTER", "customerOverridable": False, "active": True},
            {"communicationChannel": "EMAIL", "customerOverridable": False, "active": True},
        ],
    },
    {
        "messageCategory": "GENERAL",
        "channels": [
            {"communicationChannel": "LETTER", "customerOverridable": True, "active": True},
            {"communicationChannel": "EMAIL", "customerOverridable": True, "active": True},
            {"communicationChannel": "PHONE", "customerOverridable": True, "active": True},
        ],
    },
    {
        "messageCategory": "APPOINTMENT",
        "channels": [
            {"communicationChannel": "EMAIL", "customerOverridable": True, "active": True},
            {"communicationChannel": "TEXT_MESSAGE", "customerOverridable": True, "active": True},
        ],
    },
    {
        "messageCategory": "NEWSLETTER",
        "channels": [
            {"communicationChannel": "EMAIL", "customerOverridable": True, "active": False},
            {"communicationChannel": "TEXT_MESSAGE", "customerOverridable": True, "active": False},
        ],
    },
    {
        "messageCategory": "LOYALTY_PROGRAM",
        "channels": [
            {"communicationChannel": "EMAIL", "customerOverridable": True, "active": False},
            {"communicationChannel": "TEXT_MESSAGE", "customerOverridable": True, "active": False},
        ],
    },
]


def create_studio(admin: TestClient, **fields: Any) -> dict[str, Any]:
    response = admin.post(STUDIOS, json={"name": "Studio", **fields})
    assert response.status_code == 201, response.text
    return response.json()


# --- operator authentication ------------------------------------------------------------------

_BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/admin/v1/studios"): {"name": "Should not exist"},
    ("PUT", "/admin/v1/studios/{studioId}/communication-settings"): [],
    ("POST", "/admin/v1/studios/{studioId}/api-keys"): {
        "name": "k",
        "scopes": ["COMMUNICATION_PREFERENCES_READ"],
    },
    ("PUT", "/admin/v1/studios/{studioId}/customers/{customerId}"): {
        "firstName": "Erika",
        "lastName": "Mustermann",
    },
    ("PUT", "/admin/v1/studios/{studioId}/customers/{customerId}/suppressions/{channel}"): {
        "reason": "OPERATOR"
    },
}


def admin_operations(app: FastAPI, studio_id: int = 1) -> list[tuple[str, str, Any]]:
    """Every (method, concrete path, body) of the operator API, read from the app's OpenAPI paths."""
    values = {"studioId": str(studio_id), "customerId": "1", "keyId": "1", "channel": "EMAIL"}
    operations = []
    for template, item in app.openapi()["paths"].items():
        if not template.startswith("/admin"):
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)
        for method in sorted(item):
            operations.append((method.upper(), path, _BODIES.get((method.upper(), template))))
    return operations


def assert_unchanged(db: Database, world: World) -> None:
    """The refused writes above (settings, customer 1, suppression, studio) left no trace."""
    with db.session() as session:
        assert offer_to_wire(PreferencesRepository(session, world.studio_a).offers()) == [
            CommunicationPreference.model_validate(entry) for entry in DEFAULT_SETTINGS
        ]
        customer = session.get(Customer, (world.studio_a, 1))
        assert customer is not None
        assert customer.last_name == "Muster1"
        assert session.scalar(select(func.count()).select_from(Suppression)) == 0
        assert (
            session.scalar(select(func.count()).select_from(Studio).where(Studio.name == "Should not exist"))
            == 0
        )


def send(client: TestClient, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    if body is None:
        return client.request(method, path, headers=headers)
    return client.request(method, path, json=body, headers=headers)


def test_the_operator_api_has_the_expected_routes(app: FastAPI) -> None:
    operations = {(method, path) for method, path, _ in admin_operations(app)}
    assert {
        ("POST", "/admin/v1/studios"),
        ("GET", "/admin/v1/studios/1"),
        ("GET", "/admin/v1/studios/1/communication-settings"),
        ("PUT", "/admin/v1/studios/1/communication-settings"),
        ("POST", "/admin/v1/studios/1/api-keys"),
        ("GET", "/admin/v1/studios/1/api-keys"),
        ("DELETE", "/admin/v1/studios/1/api-keys/1"),
        ("PUT", "/admin/v1/studios/1/customers/1"),
        ("GET", "/admin/v1/studios/1/customers/1"),
        ("GET", "/admin/v1/studios/1/customers/1/suppressions"),
        ("PUT", "/admin/v1/studios/1/customers/1/suppressions/EMAIL"),
        ("DELETE", "/admin/v1/studios/1/customers/1/suppressions/EMAIL"),
    } <= operations


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Bearer {ADMIN_TOKEN}x"},
        {"Authorization": f"Basic {ADMIN_TOKEN}"},
        {"Authorization": ADMIN_TOKEN},
        {"Authorization": "Bearer "},
        {"X-API-KEY": ADMIN_TOKEN},
    ],
    ids=["none", "wrong", "longer", "basic-scheme", "no-scheme", "empty-bearer", "as-api-key"],
)
def test_every_admin_route_refuses_a_missing_or_wrong_token(
    app: FastAPI, client: TestClient, db: Database, world: World, headers: dict[str, str]
) -> None:
    operations = admin_operations(app, world.studio_a)
    assert len(operations) >= 12
    for method, path, body in operations:
        response = send(client, method, path, body, headers)
        assert_error(response, 401, "AUTHENTICATION_FAILED")
        assert "reference" not in response.json()
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert_unchanged(db, world)


@pytest.fixture(params=[None, ""], ids=["admin-token-unset", "admin-token-empty"])
def tokenless_client(
    request: pytest.FixtureRequest, database_url: str, db: Database, clock: FixedClock
) -> Iterator[TestClient]:
    settings = Settings(database_url=database_url, admin_token=request.param)  # type: ignore[arg-type]
    app = create_app(settings, database=db, clock=clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": f"Bearer {ADMIN_TOKEN}"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer None"},
    ],
    ids=["none", "test-token", "empty", "none-string"],
)
def test_without_a_configured_admin_token_every_admin_route_is_closed(
    tokenless_client: TestClient, db: Database, world: World, headers: dict[str, str]
) -> None:
    operations = admin_operations(tokenless_client.app, world.studio_a)  # type: ignore[arg-type]
    assert len(operations) >= 12
    for method, path, body in operations:
        response = send(tokenless_client, method, path, body, headers)
        assert_error(response, 401, "AUTHENTICATION_FAILED")
    assert_unchanged(db, world)


def test_refused_studio_creation_creates_nothing(client: TestClient, admin: TestClient) -> None:
    before = create_studio(admin)["studioId"]
    assert_error(client.post(STUDIOS, json={"name": "Sneaky"}), 401, "AUTHENTICATION_FAILED")
    after = create_studio(admin)["studioId"]
    # Ids are handed out in order; no studio named Sneaky exists between the two.
    for studio_id in range(before + 1, after):
        response = admin.get(f"{STUDIOS}/{studio_id}")
        assert response.status_code == 404 or response.json()["name"] != "Sneaky"


# --- studios ------------------------------------------------------------------------------------


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


# --- communication settings ---------------------------------------------------------------------


def test_new_studio_has_exactly_the_default_settings(admin: TestClient) -> None:
    studio_id = create_studio(admin)["studioId"]
    response = admin.get(SETTINGS.format(studio_id))
    assert response.status_code == 200
    assert response.json() == DEFAULT_SETTINGS


def test_new_studios_customer_sees_the_defaults(admin: TestClient, client: TestClient) -> None:
    studio_id = create_studio(admin)["studioId"]
    put = admin.put(f"{STUDIOS}/{studio_id}/customers/1", json={"firstName": "A", "lastName": "B"})
    assert put.status_code == 201, put.text
    key = admin.post(
        f"{STUDIOS}/{studio_id}/api-keys",
        json={"name": "reader", "scopes": ["COMMUNICATION_PREFERENCES_READ"]},
    ).json()["apiKey"]
    response = client.get(PREFS.format(1), headers={"X-API-KEY": key})
    assert response.status_code == 200
    assert response.json() == DEFAULT_SETTINGS


def test_put_settings_replaces_the_whole_offer(admin: TestClient, api: TestClient, world: World) -> None:
    offer = [
        {
            "messageCategory": "GENERAL",
            "channels": [
                {"communicationChannel": "EMAIL", "customerOverridable": True, "active": True},
                {"communicationChannel": "CHAT", "customerOverridable": False, "active": False},
            ],
        },
        {
            "messageCategory": "NEWSLETTER",
            "channels": [
                {"communicationChannel": "EMAIL", "customerOverridable": True, "active": False},
            ],
        },
    ]
    response = admin.put(SETTINGS.format(world.studio_a), json=offer)
    assert response.status_code == 200, response.text
    expected = [
        {
            "messageCategory": "GENERAL",
            "channels": [
                {"communicationChannel": "EMAIL", "customerOverridable": True, "active": True},
                {"communicationChannel": "CHAT", "customerOverridable": False, "active": False},
            ],
        },
        {
            "messageCategory": "NEWSLETTER",
            "channels": [
                {"communicationChannel": "EMAIL", "customerOverridable": True, "active": False},
            ],
        },
    ]
    assert response.json() == expected
    assert admin.get(SETTINGS.format(world.studio_a)).json() == expected
    # Categories left out are gone for the customers too.
    prefs = api.get(PREFS.format(1))
    assert prefs.status_code == 200
    assert prefs.json() == expected
    # The other studio keeps its offer.
    assert admin.get(SETTINGS.format(world.studio_b)).json() == DEFAULT_SETTINGS


def test_put_settings_answers_in_canonical_order(admin: TestClient, world: World) -> None:
    offer = [
        {
            "messageCategory": "NEWSLETTER",
            "channels": [
                {"communicationChannel": "TEXT_MESSAGE", "customerOverridable": True, "active": False},
                {"communicationChannel": "EMAIL", "customerOverridable": True, "active": True},
            ],
        },
        {
            "messageCategory": "CONTRACT",
            "channels": [
                {"communicationChannel": "EMAIL", "customerOverridable": False, "active": True},
            ],
        },
    ]
    response = admin.put(SETTINGS.format(world.studio_a), json=offer)
    assert response.status_code == 200, response.text
    assert [e["messageCategory"] for e in response.json()] == ["CONTRACT", "NEWSLETTER"]
    assert [c["communicationChannel"] for c in response.json()[1]["channels"]] == ["EMAIL", "TEXT_MESSAGE"]


def test_put_empty_settings_offers_nothing(admin: TestClient, api: TestClient, world: World) -> None:
    response = admin.put(SETTINGS.format(world.studio_a), json=[])
    assert response.status_code == 200
    assert response.json() == []
    assert admin.get(SETTINGS.format(world.studio_a)).json() == []
    prefs = api.get(PREFS.format(1))
    assert prefs.status_code == 200
    assert prefs.json() == []


def test_removed_channel_disappears_from_customer_preferences(
    admin: TestClient, api: TestClient, world: World
) -> None:
    offer = [entry for entry in DEFAULT_SETTINGS if entry["messageCategory"] != "APPOINTMENT"]
    offer = [
        {**entry, "channels": [c for c in entry["channels"] if c["communicationChannel"] != "PHONE"]}
        for entry in offer
    ]
    assert admin.put(SETTINGS.format(world.studio_a), json=offer).status_code == 200
    prefs = api.get(PREFS.format(2)).json()
    assert "APPOINTMENT" not in [e["messageCategory"] for e in prefs]
    general = next(e for e in prefs if e["messageCategory"] == "GENERAL")
    assert [c["communicationChannel"] for c in general["channels"]] == ["LETTER", "EMAIL"]
    # Writing to a channel that is no longer offered is refused.
    refused = api.put(
        PREFS.format(2),
        json=[
            {"messageCategory": "GENERAL", "channels": [{"communicationChannel": "PHONE", "active": False}]}
        ],
    )
    assert_error(refused, 400, "CHANNEL_NOT_OFFERED", "[0].channels[0].communicationChannel")


def test_duplicate_category_is_refused_and_changes_nothing(admin: TestClient, world: World) -> None:
    offer = [
        {
            "messageCategory": "GENERAL",
            "channels": [{"communicationChannel": "EMAIL", "customerOverridable": True, "active": True}],
        },
        {"messageCategory": "NEWSLETTER", "channels": []},
        {
            "messageCategory": "GENERAL",
            "channels": [{"communicationChannel": "LETTER", "customerOverridable": True, "active": True}],
        },
    ]
    response = admin.put(SETTINGS.format(world.studio_a), json=offer)
    assert_error(response, 400, "DUPLICATE_CATEGORY", "[2].messageCategory")
    assert "GENERAL" in response.json()["errorMessage"]
    assert admin.get(SETTINGS.format(world.studio_a)).json() == DEFAULT_SETTINGS


def test_duplicate_channel_is_refused_and_changes_nothing(admin: TestClient, world: World) -> None:
    offer = [
        {
            "messageCategory": "CONTRACT",
            "channels": [{"communicationChannel": "EMAIL", "customerOverridable": False, "active": True}],
        },
        {
            "messageCategory": "GENERAL",
            "channels": [
                {"communicationChannel": "EMAIL", "customerOverridable": True, "active": True},
                {"communicationChannel": "LETTER", "customerOverridable": True, "active": True},
                {"communicationChannel": "EMAIL", "customerOverridable": False, "active": False},
            ],
        },
    ]
    response = admin.put(SETTINGS.format(world.studio_a), json=offer)
    assert_error(response, 400, "DUPLICATE_CHANNEL", "[1].channels[2].communicationChannel")
    assert "EMAIL" in response.json()["errorMessage"]
    assert admin.get(SETTINGS.format(world.studio_a)).json() == DEFAULT_SETTINGS


@pytest.mark.parametrize(
    ("body", "reference"),
    [
        ([{"channels": []}], "[0].messageCategory"),
        ([{"messageCategory": "SPAM", "channels": []}], "[0].messageCategory"),
        (
            [{"messageCategory": "GENERAL", "channels": [{"communicationChannel": "PIGEON"}]}],
            "[0].channels[0].communicationChannel",
        ),
        (
            [{"messageCategory": "GENERAL", "channels": [{"active": True}]}],
            "[0].channels[0].communicationChannel",
        ),
        (
            [
                {
                    "messageCategory": "GENERAL",
                    "channels": [{"communicationChannel": "EMAIL", "active": "yes"}],
                }
            ],
            "[0].channels[0].active",
        ),
        (
            [
                {
                    "messageCategory": "GENERAL",
                    "channels": [{"communicationChannel": "EMAIL", "customerOverridable": 1}],
                }
            ],
            "[0].channels[0].customerOverridable",
        ),
    ],
)
def test_invalid_settings_are_refused_with_reference(
    admin: TestClient, world: World, body: Any, reference: str
) -> None:
    response = admin.put(SETTINGS.format(world.studio_a), json=body)
    assert_error(response, 400, "VALIDATION_FAILED", reference)
    assert admin.get(SETTINGS.format(world.studio_a)).json() == DEFAULT_SETTINGS


@pytest.mark.parametrize("missing", ["active", "customerOverridable"])
def test_settings_must_state_both_flags_of_every_channel(
    admin: TestClient, world: World, missing: str
) -> None:
    channel = {"communicationChannel": "EMAIL", "active": True, "customerOverridable": True}
    del channel[missing]
    body = [{"messageCategory": "GENERAL", "channels": [channel]}]
    response = admin.put(SETTINGS.format(world.studio_a), json=body)
    assert_error(response, 400, "VALIDATION_FAILED", f"[0].channels[0].{missing}")
    assert admin.get(SETTINGS.format(world.studio_a)).json() == DEFAULT_SETTINGS


def test_settings_body_must_be_an_array(admin: TestClient, world: World) -> None:
    response = admin.put(SETTINGS.format(world.studio_a), json={"messageCategory": "GENERAL"})
    assert_error(response, 400, "VALIDATION_FAILED")
    assert admin.get(SETTINGS.format(world.studio_a)).json() == DEFAULT_SETTINGS


def _newsletter(prefs: list[dict[str, Any]]) -> dict[str, bool]:
    entry = next(e for e in prefs if e["messageCategory"] == "NEWSLETTER")
    return {c["communicationChannel"]: c["active"] for c in entry["channels"]}


def test_customer_choice_survives_a_channel_being_removed_and_offered_again(
    admin: TestClient, api: TestClient, world: World
) -> None:
    opt_in = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}
    ]
    assert api.put(PREFS.format(1), json=opt_in).status_code == 200
    assert _newsletter(api.get(PREFS.format(1)).json()) == {"EMAIL": True, "TEXT_MESSAGE": False}

    without_email = [
        entry
        if entry["messageCategory"] != "NEWSLETTER"
        else {
            "messageCategory": "NEWSLETTER",
            "channels": [c for c in entry["channels"] if c["communicationChannel"] != "EMAIL"],
        }
        for entry in DEFAULT_SETTINGS
    ]
    assert admin.put(SETTINGS.format(world.studio_a), json=without_email).status_code == 200
    assert _newsletter(api.get(PREFS.format(1)).json()) == {"TEXT_MESSAGE": False}

    assert admin.put(SETTINGS.format(world.studio_a), json=DEFAULT_SETTINGS).status_code == 200
    assert admin.get(SETTINGS.format(world.studio_a)).json() == DEFAULT_SETTINGS
    # The customer's own opt-in applies again; another customer still has the default.
    assert _newsletter(api.get(PREFS.format(1)).json()) == {"EMAIL": True, "TEXT_MESSAGE": False}
    assert _newsletter(api.get(PREFS.format(2)).json()) == {"EMAIL": False, "TEXT_MESSAGE": False}


def test_customer_choice_yields_to_a_studio_enforced_channel_and_returns(
    admin: TestClient, api: TestClient, world: World
) -> None:
    opt_in = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}
    ]
    assert api.put(PREFS.format(1), json=opt_in).status_code == 200
    enforced = [
        entry
        if entry["messageCategory"] != "NEWSLETTER"
        else {
            "messageCategory": "NEWSLETTER",
            "channels": [
                {"communicationChannel": "EMAIL", "customerOverridable": False, "active": False},
                {"communicationChannel": "TEXT_MESSAGE", "customerOverridable": True, "active": False},
            ],
        }
        for entry in DEFAULT_SETTINGS
    ]
    assert admin.put(SETTINGS.format(world.studio_a), json=enforced).status_code == 200
    newsletter = next(e for e in api.get(PREFS.format(1)).json() if e["messageCategory"] == "NEWSLETTER")
    assert newsletter["channels"][0] == {
        "communicationChannel": "EMAIL",
        "customerOverridable": False,
        "active": False,
    }
    assert admin.put(SETTINGS.format(world.studio_a), json=DEFAULT_SETTINGS).status_code == 200
    assert _newsletter(api.get(PREFS.format(1)).json()) == {"EMAIL": True, "TEXT_MESSAGE": False}


@pytest.mark.parametrize("mode", ["REJECT", "RECORD"])
def test_a_mode_given_at_creation_counts_as_chosen(admin: TestClient, mode: str) -> None:
    body = create_studio(admin, name="Strict Gym", consentEnforcement=mode)
    assert (body["consentEnforcement"], body["consentEnforcementChosen"]) == (mode, True)
