"""Operator API for customers and their suppressions (hard blocks of a channel)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.assertions import assert_error
from tests.factories import World

CUSTOMER = "/admin/v1/studios/{}/customers/{}"
SUPPRESSIONS = "/admin/v1/studios/{}/customers/{}/suppressions"
PREFS = "/v1/communications/{}/communication-preferences"
INT64_MAX = 2**63 - 1

ERIKA = {
    "firstName": "Erika",
    "lastName": "Mustermann",
    "email": "erika@example.org",
    "phoneNumber": "+4915112345678",
    "language": "de",
}


# --- customers ------------------------------------------------------------------------------------


def test_put_creates_then_replaces(admin: TestClient, world: World) -> None:
    path = CUSTOMER.format(world.studio_a, 42)
    created = admin.put(path, json=ERIKA)
    assert created.status_code == 201, created.text
    assert created.json() == {"customerId": 42, **ERIKA, "status": "MEMBER"}

    replacement = {"firstName": "Erika", "lastName": "Musterfrau", "email": "e.musterfrau@example.org"}
    replaced = admin.put(path, json=replacement)
    assert replaced.status_code == 200, replaced.text
    # A replace, not a merge: phone number and language are gone.
    assert replaced.json() == {"customerId": 42, **replacement, "status": "MEMBER"}

    fetched = admin.get(path)
    assert fetched.status_code == 200
    assert fetched.json() == {"customerId": 42, **replacement, "status": "MEMBER"}


def test_get_existing_customer(admin: TestClient, world: World) -> None:
    response = admin.get(CUSTOMER.format(world.studio_a, 1))
    assert response.status_code == 200
    assert response.json() == {
        "customerId": 1,
        "firstName": "Erika",
        "lastName": "Muster1",
        "email": "member1@example.org",
        "status": "MEMBER",
    }


def test_put_with_only_required_fields(admin: TestClient, world: World) -> None:
    response = admin.put(CUSTOMER.format(world.studio_a, 50), json={"firstName": "A", "lastName": "B"})
    assert response.status_code == 201, response.text
    assert response.json() == {"customerId": 50, "firstName": "A", "lastName": "B", "status": "MEMBER"}


def test_largest_int64_customer_id_is_accepted(admin: TestClient, world: World) -> None:
    path = CUSTOMER.format(world.studio_a, INT64_MAX)
    assert admin.put(path, json=ERIKA).status_code == 201
    response = admin.get(path)
    assert response.status_code == 200
    assert response.json()["customerId"] == INT64_MAX


def test_new_customer_is_visible_to_the_partner_api(admin: TestClient, api: TestClient, world: World) -> None:
    assert_error(api.get(PREFS.format(77)), 404, "CUSTOMER_NOT_FOUND")
    assert admin.put(CUSTOMER.format(world.studio_a, 77), json=ERIKA).status_code == 201
    response = api.get(PREFS.format(77))
    assert response.status_code == 200
    assert len(response.json()) == 5


def test_unknown_customer_is_404(admin: TestClient, world: World) -> None:
    body = assert_error(admin.get(CUSTOMER.format(world.studio_a, 999)), 404, "CUSTOMER_NOT_FOUND")
    assert "999" in body["errorMessage"]


def test_another_studios_customer_is_404(admin: TestClient, world: World) -> None:
    assert admin.put(CUSTOMER.format(world.studio_a, 77), json=ERIKA).status_code == 201
    assert_error(admin.get(CUSTOMER.format(world.studio_b, 77)), 404, "CUSTOMER_NOT_FOUND")
    assert_error(admin.get(SUPPRESSIONS.format(world.studio_b, 77)), 404, "CUSTOMER_NOT_FOUND")
    response = admin.put(f"{SUPPRESSIONS.format(world.studio_b, 77)}/EMAIL", json={"reason": "OPERATOR"})
    assert_error(response, 404, "CUSTOMER_NOT_FOUND")


def test_same_customer_number_in_two_studios_is_two_customers(admin: TestClient, world: World) -> None:
    response = admin.put(CUSTOMER.format(world.studio_b, 1), json=ERIKA)
    assert response.status_code == 200
    assert admin.get(CUSTOMER.format(world.studio_a, 1)).json()["lastName"] == "Muster1"
    assert admin.get(CUSTOMER.format(world.studio_b, 1)).json()["lastName"] == "Mustermann"


def test_customer_of_unknown_studio_is_studio_not_found(admin: TestClient) -> None:
    assert_error(admin.get(CUSTOMER.format(2**62, 1)), 404, "STUDIO_NOT_FOUND")
    assert_error(admin.put(CUSTOMER.format(2**62, 1), json=ERIKA), 404, "STUDIO_NOT_FOUND")


@pytest.mark.parametrize(
    ("changes", "reference"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "erika@"}, "email"),
        ({"email": "erika example.org"}, "email"),
        ({"phoneNumber": "015112345678"}, "phoneNumber"),
        ({"phoneNumber": "+49 151 CALL-ME"}, "phoneNumber"),
        ({"phoneNumber": "+0151123456"}, "phoneNumber"),
        ({"phoneNumber": "+1234567890123456"}, "phoneNumber"),
        ({"phoneNumber": "+4915112345678\n"}, "phoneNumber"),
        ({"lastName": None}, "lastName"),
        ({"lastName": ""}, "lastName"),
        ({"firstName": "x" * 201}, "firstName"),
        ({"language": "german"}, "language"),
        ({"firstName": "   "}, "firstName"),
        ({"email": "Erika <erika@example.org>"}, "email"),
    ],
)
def test_invalid_details_are_400_naming_the_field(
    admin: TestClient, world: World, changes: dict[str, Any], reference: str
) -> None:
    body = {**ERIKA, **changes}
    response = admin.put(CUSTOMER.format(world.studio_a, 60), json=body)
    # A well-formed number outside any numbering plan has a code of its own (no schema can say it).
    code = (
        "PHONE_NUMBER_INVALID"
        if response.json().get("errorCode") == "PHONE_NUMBER_INVALID"
        else "VALIDATION_FAILED"
    )
    assert code == "VALIDATION_FAILED" or reference == "phoneNumber"
    assert_error(response, 400, code, reference)
    assert_error(admin.get(CUSTOMER.format(world.studio_a, 60)), 404, "CUSTOMER_NOT_FOUND")


def test_missing_last_name_is_400(admin: TestClient, world: World) -> None:
    body = {key: value for key, value in ERIKA.items() if key != "lastName"}
    response = admin.put(CUSTOMER.format(world.studio_a, 61), json=body)
    error = assert_error(response, 400, "VALIDATION_FAILED", "lastName")
    assert "lastName" in error["errorMessage"]


def test_invalid_update_keeps_the_previous_details(admin: TestClient, world: World) -> None:
    path = CUSTOMER.format(world.studio_a, 1)
    assert_error(admin.put(path, json={**ERIKA, "email": "nope"}), 400, "VALIDATION_FAILED", "email")
    assert admin.get(path).json()["lastName"] == "Muster1"


@pytest.mark.parametrize("customer_id", ["9223372036854775808", "abc", "1e3", "1.5", "%20"])
def test_invalid_customer_id_is_400(admin: TestClient, world: World, customer_id: str) -> None:
    path = CUSTOMER.format(world.studio_a, customer_id)
    assert_error(admin.get(path), 400, "VALIDATION_FAILED", "customerId")
    assert_error(admin.put(path, json=ERIKA), 400, "VALIDATION_FAILED", "customerId")
    assert_error(admin.get(f"{path}/suppressions"), 400, "VALIDATION_FAILED", "customerId")


@pytest.mark.parametrize("customer_id", ["0", "-1"])
def test_a_customer_id_below_one_names_no_customer_and_creates_none(
    admin: TestClient, world: World, customer_id: str
) -> None:
    path = CUSTOMER.format(world.studio_a, customer_id)
    assert_error(admin.get(path), 404, "CUSTOMER_NOT_FOUND")
    assert_error(admin.get(f"{path}/suppressions"), 404, "CUSTOMER_NOT_FOUND")
    # Customer numbers are positive: PUT would create one under this number, so it is refused.
    assert_error(admin.put(path, json=ERIKA), 400, "VALIDATION_FAILED", "customerId")
    assert_error(admin.get(path), 404, "CUSTOMER_NOT_FOUND")


@pytest.mark.parametrize("customer_id", ["1.0", "1_0"])
def test_non_canonical_customer_id_is_400_not_an_alias(
    admin: TestClient, world: World, customer_id: str
) -> None:
    """``1.0`` and ``1_0`` are not int64 literals; today Pydantic's lax parsing reads them as 1 and 10."""
    path = CUSTOMER.format(world.studio_a, customer_id)
    assert_error(admin.get(path), 400, "VALIDATION_FAILED", "customerId")


# --- suppressions ---------------------------------------------------------------------------------


def _channel(prefs: list[dict[str, Any]], category: str, channel: str) -> dict[str, Any]:
    entry = next(e for e in prefs if e["messageCategory"] == category)
    return next(c for c in entry["channels"] if c["communicationChannel"] == channel)


def test_no_suppressions_at_first(admin: TestClient, world: World) -> None:
    response = admin.get(SUPPRESSIONS.format(world.studio_a, 1))
    assert response.status_code == 200
    assert response.json() == []


def test_suppression_blocks_the_channel_in_every_category(
    admin: TestClient, api: TestClient, world: World
) -> None:
    response = admin.put(f"{SUPPRESSIONS.format(world.studio_a, 1)}/EMAIL", json={"reason": "HARD_BOUNCE"})
    assert response.status_code == 200, response.text
    assert response.json() == [
        {"communicationChannel": "EMAIL", "reason": "HARD_BOUNCE", "createdAt": "2026-11-27T09:00:00Z"}
    ]
    assert admin.get(SUPPRESSIONS.format(world.studio_a, 1)).json() == response.json()

    prefs = api.get(PREFS.format(1))
    assert prefs.status_code == 200
    categories = [entry["messageCategory"] for entry in prefs.json()]
    assert categories == ["CONTRACT", "GENERAL", "APPOINTMENT", "NEWSLETTER", "LOYALTY_PROGRAM"]
    for category in categories:
        assert _channel(prefs.json(), category, "EMAIL") == {
            "communicationChannel": "EMAIL",
            "customerOverridable": False,
            "active": False,
        }
    # Other channels are untouched.
    assert _channel(prefs.json(), "GENERAL", "LETTER") == {
        "communicationChannel": "LETTER",
        "customerOverridable": True,
        "active": True,
    }
    # Another customer, and the same number in another studio, are not blocked.
    for other in (api.get(PREFS.format(2)), api.get(PREFS.format(1), headers={"X-API-KEY": world.key_b})):
        assert _channel(other.json(), "GENERAL", "EMAIL")["active"] is True


@pytest.mark.parametrize("category", ["NEWSLETTER", "GENERAL", "CONTRACT"])
def test_partner_cannot_activate_a_suppressed_channel(
    admin: TestClient, api: TestClient, world: World, category: str
) -> None:
    suppress = admin.put(f"{SUPPRESSIONS.format(world.studio_a, 1)}/EMAIL", json={"reason": "HARD_BOUNCE"})
    assert suppress.status_code == 200
    before = api.get(PREFS.format(1)).json()
    body = (
        [
            {"messageCategory": "GENERAL", "channels": [{"communicationChannel": "LETTER", "active": False}]},
            {"messageCategory": category, "channels": [{"communicationChannel": "EMAIL", "active": True}]},
        ]
        if category != "GENERAL"
        else [
            {
                "messageCategory": "GENERAL",
                "channels": [
                    {"communicationChannel": "LETTER", "active": False},
                    {"communicationChannel": "EMAIL", "active": True},
                ],
            },
        ]
    )
    reference = "[1].channels[0].active" if category != "GENERAL" else "[0].channels[1].active"
    response = api.put(PREFS.format(1), json=body)
    error = assert_error(response, 409, "CHANNEL_SUPPRESSED", reference)
    assert "EMAIL" in error["errorMessage"]
    # A refused body changes nothing, not even the valid LETTER change in it.
    assert api.get(PREFS.format(1)).json() == before


def test_partner_may_restate_a_suppressed_channel_as_inactive(
    admin: TestClient, api: TestClient, world: World
) -> None:
    admin.put(f"{SUPPRESSIONS.format(world.studio_a, 1)}/EMAIL", json={"reason": "HARD_BOUNCE"})
    body = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": False}]}
    ]
    response = api.put(PREFS.format(1), json=body)
    assert response.status_code == 200, response.text
    assert _channel(response.json(), "NEWSLETTER", "EMAIL")["active"] is False


def test_lifting_the_suppression_restores_the_preferences(
    admin: TestClient, api: TestClient, world: World
) -> None:
    opt_in = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}
    ]
    assert api.put(PREFS.format(1), json=opt_in).status_code == 200
    before = api.get(PREFS.format(1)).json()
    path = f"{SUPPRESSIONS.format(world.studio_a, 1)}/EMAIL"
    assert admin.put(path, json={"reason": "HARD_BOUNCE"}).status_code == 200
    assert _channel(api.get(PREFS.format(1)).json(), "NEWSLETTER", "EMAIL")["active"] is False

    response = admin.delete(path)
    assert response.status_code == 204
    assert response.content == b""
    assert admin.get(SUPPRESSIONS.format(world.studio_a, 1)).json() == []
    # The customer's opt-in, kept under the block, applies again.
    assert api.get(PREFS.format(1)).json() == before

    again = admin.delete(path)
    error = assert_error(again, 404, "SUPPRESSION_NOT_FOUND")
    assert "EMAIL" in error["errorMessage"]


def test_suppression_without_any_body_defaults_to_operator(admin: TestClient, world: World) -> None:
    response = admin.put(SUPPRESSIONS.format(world.studio_a, 1) + "/FAX")
    assert response.status_code == 200, response.text
    assert [(s["communicationChannel"], s["reason"]) for s in response.json()] == [("FAX", "OPERATOR")]


def test_suppression_without_reason_defaults_to_operator(admin: TestClient, world: World) -> None:
    response = admin.put(f"{SUPPRESSIONS.format(world.studio_a, 2)}/TEXT_MESSAGE", json={})
    assert response.status_code == 200, response.text
    assert response.json() == [
        {"communicationChannel": "TEXT_MESSAGE", "reason": "OPERATOR", "createdAt": "2026-11-27T09:00:00Z"}
    ]


def test_setting_a_suppression_again_updates_its_reason(admin: TestClient, world: World) -> None:
    path = f"{SUPPRESSIONS.format(world.studio_a, 1)}/EMAIL"
    assert admin.put(path, json={"reason": "HARD_BOUNCE"}).status_code == 200
    response = admin.put(path, json={"reason": "ERASED"})
    assert response.status_code == 200
    assert [(s["communicationChannel"], s["reason"]) for s in response.json()] == [("EMAIL", "ERASED")]


def test_several_suppressions_are_listed(admin: TestClient, world: World) -> None:
    base = SUPPRESSIONS.format(world.studio_a, 1)
    assert admin.put(f"{base}/TEXT_MESSAGE", json={"reason": "SMS_STOP"}).status_code == 200
    response = admin.put(f"{base}/EMAIL", json={"reason": "HARD_BOUNCE"})
    assert response.status_code == 200
    assert sorted((s["communicationChannel"], s["reason"]) for s in response.json()) == [
        ("EMAIL", "HARD_BOUNCE"),
        ("TEXT_MESSAGE", "SMS_STOP"),
    ]


def test_deleting_a_suppression_that_was_never_set_is_404(admin: TestClient, world: World) -> None:
    response = admin.delete(f"{SUPPRESSIONS.format(world.studio_a, 1)}/FAX")
    assert_error(response, 404, "SUPPRESSION_NOT_FOUND")


def test_suppression_of_unknown_customer_is_404(admin: TestClient, world: World) -> None:
    path = f"{SUPPRESSIONS.format(world.studio_a, 999)}/EMAIL"
    assert_error(admin.put(path, json={"reason": "OPERATOR"}), 404, "CUSTOMER_NOT_FOUND")
    assert_error(admin.delete(path), 404, "CUSTOMER_NOT_FOUND")


def test_suppression_in_one_studio_does_not_leak_into_another(admin: TestClient, world: World) -> None:
    assert admin.put(f"{SUPPRESSIONS.format(world.studio_a, 1)}/EMAIL", json={}).status_code == 200
    assert admin.get(SUPPRESSIONS.format(world.studio_b, 1)).json() == []
    assert_error(
        admin.delete(f"{SUPPRESSIONS.format(world.studio_b, 1)}/EMAIL"), 404, "SUPPRESSION_NOT_FOUND"
    )
    assert len(admin.get(SUPPRESSIONS.format(world.studio_a, 1)).json()) == 1


@pytest.mark.parametrize(
    ("channel", "body", "reference"),
    [
        ("PIGEON", {"reason": "OPERATOR"}, "channel"),
        ("email", {"reason": "OPERATOR"}, "channel"),
        ("EMAIL", {"reason": "BORED"}, "reason"),
        ("EMAIL", {"reason": None}, "reason"),
    ],
)
def test_invalid_suppression_is_400(
    admin: TestClient, world: World, channel: str, body: dict[str, Any], reference: str
) -> None:
    response = admin.put(f"{SUPPRESSIONS.format(world.studio_a, 1)}/{channel}", json=body)
    assert_error(response, 400, "VALIDATION_FAILED", reference)
    assert admin.get(SUPPRESSIONS.format(world.studio_a, 1)).json() == []


# --- customer number and status -------------------------------------------------------------------


def test_put_stores_customer_number_and_status(admin: TestClient, world: World) -> None:
    path = CUSTOMER.format(world.studio_a, 42)
    body = {"firstName": "Erika", "lastName": "M", "customerNumber": " 1-12345 ", "status": "FORMER_MEMBER"}
    created = admin.put(path, json=body)
    assert created.status_code == 201, created.text
    assert created.json() == {
        "customerId": 42,
        "firstName": "Erika",
        "lastName": "M",
        "customerNumber": "1-12345",
        "status": "FORMER_MEMBER",
    }
    # Keeping one's own number is no conflict; a replace without them drops the number, and the
    # status is MEMBER again (the default).
    assert admin.put(path, json=body).status_code == 200
    replaced = admin.put(path, json={"firstName": "Erika", "lastName": "M"}).json()
    assert replaced == {"customerId": 42, "firstName": "Erika", "lastName": "M", "status": "MEMBER"}


def test_customer_numbers_are_unique_within_a_studio(admin: TestClient, world: World) -> None:
    taken = {"firstName": "Erika", "lastName": "M", "customerNumber": "1-12345"}
    assert admin.put(CUSTOMER.format(world.studio_a, 1), json=taken).status_code == 200
    body = assert_error(
        admin.put(CUSTOMER.format(world.studio_a, 2), json=taken),
        409,
        "CUSTOMER_NUMBER_TAKEN",
        "customerNumber",
    )
    assert "1-12345" in body["errorMessage"]
    german = admin.put(CUSTOMER.format(world.studio_a, 2), json=taken, headers={"Accept-Language": "de"})
    assert german.json()["errorMessage"].startswith("Die Kundennummer 1-12345")
    # Nothing half-written: customer 2 keeps its details; a new customer is not created.
    assert admin.get(CUSTOMER.format(world.studio_a, 2)).json()["lastName"] == "Muster2"
    assert_error(admin.put(CUSTOMER.format(world.studio_a, 77), json=taken), 409, "CUSTOMER_NUMBER_TAKEN")
    assert_error(admin.get(CUSTOMER.format(world.studio_a, 77)), 404, "CUSTOMER_NOT_FOUND")
    # Another studio may use the same number.
    assert admin.put(CUSTOMER.format(world.studio_b, 2), json=taken).status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "CHAMPION"),
        ("status", "member"),
        ("status", None),
        ("customerNumber", ""),
        ("customerNumber", "   "),
        ("customerNumber", "x" * 65),
        ("customerNumber", 12345),
    ],
)
def test_put_refuses_a_bad_customer_number_or_status(
    admin: TestClient, world: World, field: str, value: Any
) -> None:
    body = {"firstName": "Erika", "lastName": "M", field: value}
    assert_error(admin.put(CUSTOMER.format(world.studio_a, 42), json=body), 400, "VALIDATION_FAILED")
    assert_error(admin.get(CUSTOMER.format(world.studio_a, 42)), 404, "CUSTOMER_NOT_FOUND")
