"""Operator API: a studio's communication settings (its offer)."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.admin.helpers import (
    DEFAULT_SETTINGS,
    PREFS,
    SETTINGS,
    STUDIOS,
    create_studio,
)
from tests.assertions import assert_error
from tests.factories import World


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
                    "channels": [{"communicationChannel": "EMAIL", "active": True, "customerOverridable": 1}],
                }
            ],
            "[0].channels[0].customerOverridable",
        ),
        (  # make fuzz found the published schema left it optional
            [{"messageCategory": "GENERAL", "channels": [{"communicationChannel": "EMAIL", "active": True}]}],
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


def test_the_published_schema_requires_what_the_offer_requires(admin: TestClient) -> None:
    schemas = admin.get("/openapi.json").json()["components"]["schemas"]
    assert set(schemas["OfferedChannel"]["required"]) == {
        "communicationChannel",
        "active",
        "customerOverridable",
    }
    assert schemas["OfferedCategory"]["required"] == ["messageCategory"]
