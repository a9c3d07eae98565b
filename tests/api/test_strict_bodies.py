"""Bodies as strict as the official schemas, alike on SQLite and PostgreSQL: a number where a
date-time string belongs, a string or a fraction where an integer belongs, an integer beyond 64
bits, an unknown enum value: 400 naming the field, nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import World

THREAD = {
    "communicationThreadStatus": "CREATED",
    "subject": "Hello",
    "content": "A message",
    "communicationDirection": "INCOMING",
    "communicationChannel": "EMAIL",
}
SEND = {"messageCategory": "APPOINTMENT", "communicationChannel": "EMAIL", "subject": "Hi", "content": "Yoga"}
BULK = {**SEND, "customerIds": [1]}
INVALID = "VALIDATION_FAILED"


@pytest.mark.parametrize(
    ("method", "path", "body", "code", "reference"),
    [
        ("POST", "/v1/communications/1/threads", {**THREAD, "communicationDateTime": 0}, INVALID,
         "communicationDateTime"),
        ("POST", "/v1/communications/1/threads", {**THREAD, "communicationDateTime": 1700000000.5},
         INVALID, "communicationDateTime"),
        ("POST", "/v1/communications/1/threads", {**THREAD, "communicationChannel": "SMOKE_SIGNAL"},
         INVALID, "communicationChannel"),
        ("POST", "/v1/communications/1/threads", {**THREAD, "subject": 42}, INVALID, "subject"),
        ("POST", "/v1/communications/1/messages", {**SEND, "threadId": 2**63}, INVALID, "threadId"),
        ("POST", "/v1/communications/1/messages", {**SEND, "threadId": "1"}, INVALID, "threadId"),
        ("POST", "/v1/communications/1/messages", {**SEND, "sendAt": 0}, INVALID, "sendAt"),
        ("POST", "/v1/messages", {**BULK, "customerIds": ["1"]}, INVALID, "customerIds[0]"),
        ("POST", "/v1/messages", {**BULK, "customerIds": [1, 1.0]}, INVALID, "customerIds[1]"),
        ("POST", "/v1/messages", {**BULK, "customerIds": [-(2**63) - 1]}, INVALID, "customerIds[0]"),
        ("POST", "/v1/messages", {**BULK, "customerIds": [True]}, INVALID, "customerIds[0]"),
        ("POST", "/v1/communications/1/preference-links", {"expiresInDays": "30"}, INVALID,
         "expiresInDays"),
        ("PUT", "/v1/communications/1/communication-preferences",
         [{"messageCategory": "GENERAL", "channels": [{"communicationChannel": "EMAIL", "active": "true"}]}],
         INVALID, "[0].channels[0].active"),
    ],
)  # fmt: skip
def test_loose_values_are_refused_naming_the_field(
    api: TestClient, method: str, path: str, body: Any, code: str, reference: str
) -> None:
    before = api.get("/v1/communications/1/threads").json()["result"]
    response = api.request(method, path, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["errorCode"] == code
    assert response.json()["reference"] == reference
    assert api.get("/v1/communications/1/threads").json()["result"] == before


def test_the_existing_thread_refuses_a_number_for_its_date_time_too(api: TestClient) -> None:
    created = api.post("/v1/communications/1/threads", json=THREAD)
    assert created.status_code == 200, created.text
    thread = created.json()["threadId"]
    response = api.put(f"/v1/communications/1/threads/{thread}", json={**THREAD, "communicationDateTime": 0})
    assert response.status_code == 400
    assert response.json()["reference"] == "communicationDateTime"
    good = {**THREAD, "communicationDateTime": "2022-06-22T08:00:00.000+02:00[Europe/Berlin]"}
    assert api.put(f"/v1/communications/1/threads/{thread}", json=good).status_code == 200


@pytest.mark.parametrize("offset", ["9999999999999999999", "9223372036854775807"])
def test_any_published_offset_is_a_cursor(api: TestClient, offset: str) -> None:
    response = api.get("/v1/communications/1/threads", params={"offset": offset})
    assert response.status_code == 200, response.text
    assert response.json()["result"] == []
    refused = api.get("/v1/communications/1/threads", params={"offset": "12\n"})
    assert refused.status_code == 400


def test_a_path_id_with_a_trailing_newline_is_not_an_id(api: TestClient, world: World) -> None:
    response = api.get("/v1/communications/1%0A/communication-preferences")
    assert response.status_code in (400, 404)
    assert response.json()["errorCode"] != "CUSTOMER_NOT_FOUND" or response.status_code == 404
