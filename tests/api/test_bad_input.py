"""Input that used to reach the database and answer 500 is a 400 naming the field, on both databases:
NUL characters in any string, non-ASCII and out-of-int64 slice offsets, date-times outside years
1-9999 once in UTC."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from studio_comms.settings import Settings
from tests.assertions import assert_error
from tests.communications.helpers import THREAD, THREADS, request
from tests.factories import World

NUL = "bad\x00value"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Webhook subscriptions to a loopback URL, so the webhook cases need no DNS.
    return settings.model_copy(update={"webhook_allow_private_networks": True})


def _thread_count(api: TestClient) -> int:
    return len(api.get(THREADS.format(1)).json()["result"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", NUL),
        ("content", NUL),
        ("agent", NUL),
        ("ticketNumber", NUL),
        ("ticketLink", "https://tickets.example/\x00"),
        ("requestId", NUL),
    ],
)
def test_nul_in_a_thread_field_is_400_naming_it(api: TestClient, field: str, value: str) -> None:
    before = _thread_count(api)
    assert_error(api.post(THREADS.format(1), json=request(**{field: value})), 400, "VALIDATION_FAILED", field)
    assert _thread_count(api) == before
    created = api.post(THREADS.format(1), json=request()).json()
    appended = api.put(THREAD.format(1, created["threadId"]), json=request(**{field: value}))
    assert_error(appended, 400, "VALIDATION_FAILED", field)


def test_nul_in_nested_values_and_keys_is_located(api: TestClient) -> None:
    body = [{"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL\x00"}]}]
    response = api.put("/v1/communications/1/communication-preferences", json=body)
    assert_error(response, 400, "VALIDATION_FAILED", "[0].channels[0].communicationChannel")
    keyed = api.post(THREADS.format(1), json={**request(), "sub\x00ject": "x"})
    assert_error(keyed, 400, "VALIDATION_FAILED", None)
    assert "NUL" in keyed.json()["errorMessage"]


def test_an_escaped_backslash_before_u0000_is_no_nul(api: TestClient) -> None:
    # "\\u0000" in JSON is a backslash followed by the text u0000: a legal subject.
    response = api.post(THREADS.format(1), json=request(subject="path\\u0000"))
    assert response.status_code == 200, response.text
    assert response.json()["subject"] == "path\\u0000"


@pytest.mark.parametrize(
    ("method", "path", "body", "reference"),
    [
        ("POST", "/admin/v1/studios", {"name": NUL}, "name"),
        ("PATCH", "/admin/v1/studios/{studio}", {"name": NUL}, "name"),
        ("PUT", "/admin/v1/studios/{studio}/customers/77", {"firstName": NUL, "lastName": "X"}, "firstName"),
        ("PUT", "/admin/v1/studios/{studio}/customers/77", {"firstName": "E", "lastName": NUL}, "lastName"),
        ("POST", "/admin/v1/studios/{studio}/api-keys", {"name": NUL, "scopes": ["WEBHOOKS_MANAGE"]}, "name"),
    ],
)
def test_nul_in_operator_names_is_400(
    admin: TestClient, world: World, method: str, path: str, body: dict[str, Any], reference: str
) -> None:
    response = admin.request(method, path.format(studio=world.studio_a), json=body)
    assert_error(response, 400, "VALIDATION_FAILED", reference)


def test_nul_in_a_webhook_description_is_400(api: TestClient) -> None:
    response = api.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "description": NUL})
    assert_error(response, 400, "VALIDATION_FAILED", "description")
    assert api.get("/v1/webhooks").json() == []
    created = api.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook"}).json()
    patched = api.patch(f"/v1/webhooks/{created['webhookId']}", json={"description": NUL})
    assert_error(patched, 400, "VALIDATION_FAILED", "description")


@pytest.mark.parametrize(
    "offset",
    ["%C2%B2", "%D9%A3", "12%0A", "-1", "12345678901234567890"],
    ids=["superscript-two", "arabic-indic-three", "trailing-newline", "negative", "twenty-digits"],
)
def test_slice_offsets_must_be_ascii_digits_up_to_nineteen(api: TestClient, offset: str) -> None:
    """The published pattern (^[0-9]{0,19}$) is the rule; any such cursor past int64 is past the end."""
    webhook = api.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook"}).json()["webhookId"]
    for path in (
        "/v1/communications/1/communication-preferences/history",
        THREADS.format(1),
        f"/v1/webhooks/{webhook}/deliveries",
    ):
        assert_error(api.get(f"{path}?offset={offset}"), 400, "VALIDATION_FAILED", "offset")
    largest = api.get(f"{THREADS.format(1)}?offset=9223372036854775807")
    assert largest.status_code == 200


@pytest.mark.parametrize(
    "stamp",
    ["9999-12-31T23:00:00-01:00", "0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00.000-01:00[Etc/GMT+1]"],
)
def test_date_times_outside_years_1_to_9999_in_utc_are_400(api: TestClient, stamp: str) -> None:
    before = _thread_count(api)
    response = api.post(THREADS.format(1), json=request(communicationDateTime=stamp))
    body = assert_error(response, 400, "VALIDATION_FAILED", "communicationDateTime")
    assert "9999" in body["errorMessage"]
    assert _thread_count(api) == before
    edge = api.post(THREADS.format(1), json=request(communicationDateTime="9999-12-31T22:00:00-01:00"))
    assert edge.status_code == 200, edge.text
