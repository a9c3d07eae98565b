"""Members' numbers in E.164: a local number is read in the studio's country."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from studio_comms.core.phone import NotAPhoneNumber, to_e164
from tests.assertions import assert_error
from tests.factories import World

CUSTOMER = "/admin/v1/studios/{}/customers/{}"
INFO = "/admin/v1/studios/{}/information"
ERIKA = {"firstName": "Erika", "lastName": "Mustermann"}


def set_country(admin: TestClient, studio_id: int, code: str) -> None:
    assert admin.put(INFO.format(studio_id), json={"countryCode": code}).status_code == 200


def test_a_local_number_is_stored_in_e164_with_the_studios_country(admin: TestClient, world: World) -> None:
    set_country(admin, world.studio_a, "DE")
    put = admin.put(CUSTOMER.format(world.studio_a, 50), json={**ERIKA, "phoneNumber": "0151 1234 5671"})
    assert put.status_code == 201, put.text
    assert put.json()["phoneNumber"] == "+4915112345671"
    set_country(admin, world.studio_b, "AT")
    put = admin.put(CUSTOMER.format(world.studio_b, 50), json={**ERIKA, "phoneNumber": "(0664) 123 4567"})
    assert put.json()["phoneNumber"] == "+436641234567"


def test_an_international_number_needs_no_country(admin: TestClient, world: World) -> None:
    put = admin.put(CUSTOMER.format(world.studio_a, 51), json={**ERIKA, "phoneNumber": "+49 151 1234-5671"})
    assert put.json()["phoneNumber"] == "+4915112345671"


def test_a_local_number_without_a_studio_country_is_400(admin: TestClient, world: World) -> None:
    response = admin.put(CUSTOMER.format(world.studio_a, 52), json={**ERIKA, "phoneNumber": "0151 1234 5671"})
    body = assert_error(response, 400, "PHONE_NUMBER_INVALID", "phoneNumber")
    assert "country" in body["errorMessage"]
    assert_error(admin.get(CUSTOMER.format(world.studio_a, 52)), 404, "CUSTOMER_NOT_FOUND")


@pytest.mark.parametrize(
    ("written", "region", "e164"),
    [
        ("0151 1234 5671", "DE", "+4915112345671"),
        ("0151/12345671", "de", "+4915112345671"),
        ("+4915112345671", None, "+4915112345671"),
        ("+1 (415) 555-2671", "DE", "+14155552671"),
        ("(415) 555-2671", "US", "+14155552671"),
    ],
)
def test_to_e164(written: str, region: str | None, e164: str) -> None:
    assert to_e164(written, region) == e164


@pytest.mark.parametrize(
    ("written", "region"),
    [
        ("0151 1234 5671", None),
        ("+0151123456", None),
        ("+1234567890123456", None),
        ("+4915112345671\n", None),
        ("0151 CALL ME", "DE"),
        ("12", "DE"),
    ],
)
def test_not_numbers(written: str, region: str | None) -> None:
    with pytest.raises(NotAPhoneNumber):
        to_e164(written, region)
