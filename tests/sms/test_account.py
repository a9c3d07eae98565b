"""The operator API for a studio's Twilio account: the auth token goes in and never comes out."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from tests.assertions import assert_error
from tests.conftest import PUBLIC_URL
from tests.factories import World
from tests.sms.conftest import SMS_PROVIDER

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "f" * 32


def test_put_answers_the_account_and_its_webhook_urls_without_the_token(
    admin: TestClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    path = SMS_PROVIDER.format(world.studio_a)
    put = admin.put(path, json={"accountSid": SID, "authToken": TOKEN, "sender": "+49 30 901820"})
    assert put.status_code == 200, put.text
    expected = {
        "provider": "TWILIO",
        "accountSid": SID,
        "sender": "+4930901820",
        "authTokenSet": True,
        "statusCallbackUrl": f"{PUBLIC_URL}/sms/twilio/{world.studio_a}/status",
        "inboundUrl": f"{PUBLIC_URL}/sms/twilio/{world.studio_a}/inbound",
    }
    assert put.json() == expected
    got = admin.get(path)
    assert got.json() == expected
    assert TOKEN not in put.text + got.text
    assert TOKEN not in caplog.text


def test_a_messaging_service_is_a_sender_too(admin: TestClient, world: World) -> None:
    service_sid = "MG" + "1" * 32
    put = admin.put(
        SMS_PROVIDER.format(world.studio_a),
        json={"accountSid": SID, "authToken": TOKEN, "sender": service_sid},
    )
    assert put.json()["sender"] == service_sid


def test_no_account_is_404_and_delete_forgets_it(admin: TestClient, world: World) -> None:
    path = SMS_PROVIDER.format(world.studio_a)
    assert_error(admin.get(path), 404, "SMS_PROVIDER_NOT_CONFIGURED")
    assert_error(admin.delete(path), 404, "SMS_PROVIDER_NOT_CONFIGURED")
    admin.put(path, json={"accountSid": SID, "authToken": TOKEN, "sender": "+4930901820"})
    assert admin.delete(path).status_code == 204
    assert_error(admin.get(path), 404, "SMS_PROVIDER_NOT_CONFIGURED")


def test_one_studios_account_is_not_anothers(admin: TestClient, world: World) -> None:
    admin.put(
        SMS_PROVIDER.format(world.studio_a),
        json={"accountSid": SID, "authToken": TOKEN, "sender": "+4930901820"},
    )
    assert_error(admin.get(SMS_PROVIDER.format(world.studio_b)), 404, "SMS_PROVIDER_NOT_CONFIGURED")
    assert_error(admin.get(SMS_PROVIDER.format(2**62)), 404, "STUDIO_NOT_FOUND")


@pytest.mark.parametrize(
    ("changes", "reference"),
    [
        ({"accountSid": "AC123"}, "accountSid"),
        ({"authToken": "short"}, "authToken"),
        ({"authToken": "with space inside 0123456789"}, "authToken"),
        ({"sender": "030 901820"}, "sender"),  # local, and the studio has no country
        ({"sender": "+49 30"}, "sender"),
    ],
)
def test_invalid_accounts_are_400_and_store_nothing(
    admin: TestClient, world: World, changes: dict[str, str], reference: str
) -> None:
    body = {"accountSid": SID, "authToken": TOKEN, "sender": "+4930901820", **changes}
    path = SMS_PROVIDER.format(world.studio_a)
    refused = admin.put(path, json=body)
    # A sender outside any numbering plan has a code of its own (no schema can say it).
    code = (
        "SMS_SENDER_INVALID"
        if refused.json().get("errorCode") == "SMS_SENDER_INVALID"
        else "VALIDATION_FAILED"
    )
    assert code == "VALIDATION_FAILED" or reference == "sender"
    assert_error(refused, 400, code, reference)
    # A refused token is not echoed either.
    assert body["authToken"] not in refused.text
    assert_error(admin.get(path), 404, "SMS_PROVIDER_NOT_CONFIGURED")


def test_the_operator_token_is_required(client: TestClient, world: World) -> None:
    path = SMS_PROVIDER.format(world.studio_a)
    assert client.get(path).status_code == 401
    assert (
        client.put(path, json={"accountSid": SID, "authToken": TOKEN, "sender": "+4930901820"}).status_code
        == 401
    )
