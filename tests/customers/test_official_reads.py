"""The official customer reads (getCustomerById, getCustomers, getCustomerBy, searchCustomers):
what a partner's key sees of its studio's customers, in the official shapes, and nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from studio_comms.db.database import Database
from tests.assertions import assert_error
from tests.conftest import FixedClock
from tests.factories import World, make_customer

CUSTOMERS = "/v1/customers"
SEARCH = "/v1/customers/search"
BY = "/v1/customers/by"
OPERATOR = "/admin/v1/studios/{}/customers/{}"
KEYS = "/admin/v1/studios/{}/api-keys"

ERIKA = {
    "firstName": "Erika",
    "lastName": "Mustermann",
    "email": "Erika.M@Example.org",
    "phoneNumber": "+4915112345678",
    "language": "de-AT",
    "customerNumber": "1-12345",
    "status": "PROSPECT",
}


def store(admin: TestClient, studio: int, customer_id: int, body: dict[str, Any]) -> None:
    response = admin.put(OPERATOR.format(studio, customer_id), json=body)
    assert response.status_code in (200, 201), response.text


def key_with(admin: TestClient, studio: int, scopes: list[str]) -> str:
    created = admin.post(KEYS.format(studio), json={"name": "crm", "scopes": scopes})
    assert created.status_code == 201, created.text
    key: str = created.json()["apiKey"]
    return key


# --- getCustomerById ------------------------------------------------------------------------------


def test_get_by_id_answers_the_official_customer_with_what_we_hold(
    api: TestClient, admin: TestClient, world: World
) -> None:
    store(admin, world.studio_a, 42, ERIKA)
    response = api.get(f"{CUSTOMERS}/42")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": 42,
        "customerNumber": "1-12345",
        "firstName": "Erika",
        "lastName": "Mustermann",
        "email": "Erika.M@example.org",  # the domain as e-mail validation writes it
        "status": "PROSPECT",
        "phonePrivateMobile": "+4915112345678",
        "accessRefusal": False,
        "studioId": world.studio_a,
        "preferredLanguage": {"languageCode": "de", "countryCode": "AT"},
    }


def test_fields_we_do_not_hold_are_absent_not_null(api: TestClient, world: World) -> None:
    # world's customer 1: a name and an e-mail address, no number, phone or language.
    body = api.get(f"{CUSTOMERS}/1").json()
    assert body == {
        "id": 1,
        "firstName": "Erika",
        "lastName": "Muster1",
        "email": "member1@example.org",
        "status": "MEMBER",
        "accessRefusal": False,
        "studioId": world.studio_a,
    }
    assert None not in body.values()


def test_get_by_id_unknown_and_other_studios_customer_are_404(api: TestClient, world: World) -> None:
    assert_error(api.get(f"{CUSTOMERS}/999"), 404, "CUSTOMER_NOT_FOUND")
    assert_error(api.get(f"{CUSTOMERS}/{world.only_in_b}"), 404, "CUSTOMER_NOT_FOUND")


@pytest.mark.parametrize("bad", ["abc", "1.0", "01", str(2**63)])
def test_get_by_id_refuses_what_is_not_an_int64(api: TestClient, bad: str) -> None:
    assert_error(api.get(f"{CUSTOMERS}/{bad}"), 400, "VALIDATION_FAILED")


def test_card_number_format_is_accepted_and_checked(api: TestClient) -> None:
    assert api.get(f"{CUSTOMERS}/1", params={"cardNumberFormat": "HEX_MSB"}).status_code == 200
    assert_error(api.get(f"{CUSTOMERS}/1", params={"cardNumberFormat": "OCTAL"}), 400, "VALIDATION_FAILED")


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", f"{CUSTOMERS}/1", {}),
        ("GET", CUSTOMERS, {}),
        ("GET", BY, {"params": {"customerNumber": "7"}}),
        ("POST", SEARCH, {"json": {"firstName": "E"}}),
    ],
)
def test_every_read_needs_the_customer_read_scope(
    client: TestClient, admin: TestClient, world: World, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    assert_error(client.request(method, path, **kwargs), 401, "AUTHENTICATION_FAILED")
    without = key_with(admin, world.studio_a, ["COMMUNICATION_READ", "STUDIO_READ"])
    body = assert_error(
        client.request(method, path, headers={"X-API-KEY": without}, **kwargs), 403, "MISSING_SCOPE"
    )
    assert "CUSTOMER_READ" in body["errorMessage"]
    granted = key_with(admin, world.studio_a, ["CUSTOMER_READ"])
    assert client.request(method, path, headers={"X-API-KEY": granted}, **kwargs).status_code in (200, 404)


# --- getCustomers ---------------------------------------------------------------------------------


def test_slices_page_through_every_member_by_id_once(
    api: TestClient, db: Database, clock: FixedClock, world: World
) -> None:
    with db.transaction() as tx:
        for customer_id in range(100, 221):  # 121 more members: 124 with world's 1-3
            make_customer(tx, world.studio_a, customer_id, now=clock.now)
        make_customer(tx, world.studio_a, 300, now=clock.now, status="PROSPECT")
    seen: list[int] = []
    offset = None
    slices = 0
    while True:
        params: dict[str, Any] = {"sliceSize": 50}
        if offset is not None:
            params["offset"] = offset
        response = api.get(CUSTOMERS, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"result", "hasNext", "offset"}
        slices += 1
        seen += [customer["id"] for customer in body["result"]]
        offset = body["offset"]
        if not body["hasNext"]:
            break
    assert slices == 3
    assert seen == [1, 2, 3, *range(100, 221)]
    assert offset == "220"
    # Past the end: an empty slice hands the offset back.
    assert api.get(CUSTOMERS, params={"offset": "220"}).json() == {
        "result": [],
        "hasNext": False,
        "offset": "220",
    }
    # The deprecated lastOffsetId is read as the offset.
    after = api.get(CUSTOMERS, params={"lastOffsetId": 200}).json()
    assert [customer["id"] for customer in after["result"]] == list(range(201, 221))
    # A lastOffsetId of 0 or less names no customer: from the start.
    start = api.get(CUSTOMERS, params={"lastOffsetId": -5, "sliceSize": 50}).json()
    assert [customer["id"] for customer in start["result"]][:4] == [1, 2, 3, 100]
    # Prospects are listed apart; the default slice is 100 (the official default).
    prospects = api.get(CUSTOMERS, params={"customerStatus": "PROSPECT"}).json()
    assert [customer["id"] for customer in prospects["result"]] == [300]
    assert len(api.get(CUSTOMERS).json()["result"]) == 100


def test_slices_are_the_studios_own(api: TestClient, world: World) -> None:
    body = api.get(CUSTOMERS).json()
    assert [customer["id"] for customer in body["result"]] == [1, 2, 3]
    assert {customer["studioId"] for customer in body["result"]} == {world.studio_a}
    assert body["offset"] == "3"
    assert body["hasNext"] is False


@pytest.mark.parametrize(
    ("params", "reference"),
    [
        ({"sliceSize": 49}, "sliceSize"),
        ({"sliceSize": 501}, "sliceSize"),
        ({"sliceSize": "many"}, "sliceSize"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "abc"}, "offset"),
        ({"offset": "1" * 20}, "offset"),
        ({"lastOffsetId": 2**63}, "lastOffsetId"),
        ({"lastOffsetId": "x"}, "lastOffsetId"),
        ({"customerStatus": "FORMER_MEMBER"}, "customerStatus"),
        ({"customerStatus": "member"}, "customerStatus"),
    ],
)
def test_bad_slice_parameters_are_400_naming_them(
    api: TestClient, params: dict[str, Any], reference: str
) -> None:
    body = assert_error(api.get(CUSTOMERS, params=params), 400, "VALIDATION_FAILED")
    assert reference in (body.get("reference") or "") + body["errorMessage"], body


# --- getCustomerBy --------------------------------------------------------------------------------


def test_by_customer_number(api: TestClient, admin: TestClient, world: World) -> None:
    store(admin, world.studio_a, 42, ERIKA)
    response = api.get(BY, params={"customerNumber": "1-12345"})
    assert response.status_code == 200, response.text
    assert response.json()["id"] == 42
    assert_error(
        api.get(BY, params={"customerNumber": "1-99999"}), 404, "CUSTOMER_NOT_FOUND", "customerNumber"
    )


def test_by_another_studios_customer_number_is_404(api: TestClient, admin: TestClient, world: World) -> None:
    store(admin, world.studio_b, world.only_in_b, {**ERIKA, "customerNumber": "B-4"})
    assert_error(api.get(BY, params={"customerNumber": "B-4"}), 404, "CUSTOMER_NOT_FOUND")


def test_by_without_a_criterion_is_400(api: TestClient) -> None:
    body = assert_error(api.get(BY), 400, "SEARCH_CRITERIA_MISSING")
    assert "customerNumber" in body["errorMessage"]
    # Empty parameters ask for nothing (not for a card number that is "").
    empty = {"cardNumber": "", "debtorId": "", "barcode": "", "customerNumber": ""}
    assert_error(api.get(BY, params=empty), 400, "SEARCH_CRITERIA_MISSING")
    assert_error(api.get(BY, params={**empty, "customerNumber": "nope"}), 404, "CUSTOMER_NOT_FOUND")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("cardNumber", "1290158199"),
        ("debtorId", "D-1"),
        ("barcode", "4006381333931"),
        ("qrCodeUuid", "7be3932c-825b-4401-abff-29e9f9410bc7"),
    ],
)
def test_by_what_we_do_not_hold_is_400_naming_it(api: TestClient, name: str, value: str) -> None:
    body = assert_error(
        api.get(BY, params={name: value, "customerNumber": "1-12345"}), 400, "SEARCH_CRITERION_NOT_HELD", name
    )
    assert name in body["errorMessage"]


def test_by_a_malformed_qr_code_uuid_is_400(api: TestClient) -> None:
    assert_error(api.get(BY, params={"qrCodeUuid": "not-a-uuid"}), 400, "VALIDATION_FAILED")


def test_by_is_german_when_asked(api: TestClient) -> None:
    body = assert_error(api.get(BY, headers={"Accept-Language": "de"}), 400, "SEARCH_CRITERIA_MISSING")
    assert body["errorMessage"].startswith("Mindestens")


# --- searchCustomers ------------------------------------------------------------------------------


def test_search_by_name_prefixes_and_email_without_regard_to_case(
    api: TestClient, admin: TestClient, world: World
) -> None:
    store(admin, world.studio_a, 42, ERIKA)
    store(admin, world.studio_a, 43, {"firstName": "Özlem", "lastName": "Ünal", "email": "oe@example.org"})
    store(admin, world.studio_b, 42, ERIKA)  # the same customer in B stays B's

    def ids(criteria: dict[str, Any]) -> list[int]:
        response = api.post(SEARCH, json=criteria)
        assert response.status_code == 200, response.text
        assert all(customer["studioId"] == world.studio_a for customer in response.json())
        return [customer["id"] for customer in response.json()]

    assert ids({"firstName": "eri"}) == [1, 2, 3, 42]
    assert ids({"firstName": "Eri", "lastName": "muster1"}) == [1]
    assert ids({"lastName": "MUSTERM"}) == [42]
    assert ids({"email": "erika.m@example.ORG"}) == [42]
    assert ids({"email": "erika.m@example.org", "firstName": "Ö"}) == []
    assert ids({"firstName": "öz", "lastName": "ün"}) == [43]
    assert ids({"firstName": "Zed"}) == []
    assert ids({"email": "member4@example.org"}) == []  # B's customer 4
    # The official request's cardNumberFormat is accepted; unknown fields are ignored, as officially.
    assert ids({"lastName": "musterm", "cardNumberFormat": "HEX_LSB", "somethingElse": 1}) == [42]


@pytest.mark.parametrize(
    "criteria", [{}, {"firstName": ""}, {"cardNumberFormat": "DECIMAL"}, {"email": None}]
)
def test_search_without_a_criterion_is_400(api: TestClient, criteria: dict[str, Any]) -> None:
    body = assert_error(api.post(SEARCH, json=criteria), 400, "SEARCH_CRITERIA_MISSING")
    assert "firstName" in body["errorMessage"]


def test_search_by_date_of_birth_is_400_not_held(api: TestClient) -> None:
    assert_error(
        api.post(SEARCH, json={"dateOfBirth": "1952-05-04", "firstName": "E"}),
        400,
        "SEARCH_CRITERION_NOT_HELD",
        "dateOfBirth",
    )


@pytest.mark.parametrize(
    "criteria",
    [
        {"firstName": 5},
        {"email": ["a@b.c"]},
        {"dateOfBirth": 0},
        {"dateOfBirth": "yesterday"},
        {"cardNumberFormat": "OCTAL"},
    ],
)
def test_search_refuses_what_the_official_schema_refuses(api: TestClient, criteria: dict[str, Any]) -> None:
    assert_error(api.post(SEARCH, json=criteria), 400, "VALIDATION_FAILED")


def test_search_body_must_be_json(api: TestClient) -> None:
    assert api.post(SEARCH, content=b"firstName=E", headers={"Content-Type": "text/plain"}).status_code == 415
    assert_error(
        api.post(SEARCH, content=b"{", headers={"Content-Type": "application/json"}), 400, "MALFORMED_JSON"
    )
