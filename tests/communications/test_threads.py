"""The two compatible thread operations: exact answers, 404s, 403, every 400."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from studio_comms.core.auth import Scope
from studio_comms.db.database import Database
from tests.communications.helpers import THREAD, THREADS, request
from tests.conftest import FixedClock
from tests.factories import World, make_key

REQUIRED = {
    "customerId",
    "communicationId",
    "threadId",
    "communicationThreadStatus",
    "subject",
    "content",
    "communicationDirection",
    "communicationChannel",
}


def test_create_answers_200_with_the_compatible_response(api: TestClient) -> None:
    body = request(
        ticketNumber="A123456", ticketLink="https://ticketing-system.com/ticket/A123456", agent="Peter Meyer"
    )
    response = api.post(THREADS.format(1), json=body, headers={"X-Request-Id": "r-1"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) >= REQUIRED
    assert answer["customerId"] == 1
    assert isinstance(answer["threadId"], int)
    assert isinstance(answer["communicationId"], int)
    for field in (
        "communicationThreadStatus",
        "subject",
        "content",
        "communicationDirection",
        "communicationChannel",
        "ticketNumber",
        "ticketLink",
        "agent",
    ):
        assert answer[field] == body[field]
    assert answer["messageCategory"] == "GENERAL"
    assert answer["requestId"] == "r-1"
    assert answer["communicationDateTime"] == "2026-11-27T09:00:00Z"
    assert "authorization" not in answer  # INCOMING: nothing to authorize


def test_absent_optional_fields_are_omitted_not_null(api: TestClient) -> None:
    answer = api.post(THREADS.format(1), json=request()).json()
    for field in ("ticketNumber", "ticketLink", "agent", "authorization"):
        assert field not in answer
    assert None not in answer.values()


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_append_adds_a_communication_and_sets_the_status(api: TestClient, method: str) -> None:
    created = api.post(THREADS.format(1), json=request()).json()
    response = api.request(
        method,
        THREAD.format(1, created["threadId"]),
        json=request(
            communicationThreadStatus="ONGOING",
            subject="Re: Complaint",
            communicationDirection="OUTGOING",
            communicationChannel="EMAIL",
        ),
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["threadId"] == created["threadId"]
    assert answer["communicationId"] > created["communicationId"]
    assert answer["communicationThreadStatus"] == "ONGOING"
    thread = api.get(THREAD.format(1, created["threadId"])).json()
    assert thread["communicationThreadStatus"] == "ONGOING"
    assert [c["communicationId"] for c in thread["communications"]] == [
        created["communicationId"],
        answer["communicationId"],
    ]


def test_a_closed_thread_is_reopened_by_a_new_communication(api: TestClient) -> None:
    thread_id = api.post(THREADS.format(1), json=request(communicationThreadStatus="CLOSED")).json()[
        "threadId"
    ]
    response = api.put(THREAD.format(1, thread_id), json=request(communicationThreadStatus="ONGOING"))
    assert response.status_code == 200
    assert api.get(THREAD.format(1, thread_id)).json()["communicationThreadStatus"] == "ONGOING"


def test_another_customers_or_studios_thread_is_404_like_a_missing_one(
    api: TestClient, client: TestClient, world: World
) -> None:
    thread_id = api.post(THREADS.format(1), json=request()).json()["threadId"]
    for path, key in (
        (THREAD.format(2, thread_id), world.key_a),  # other customer, same studio
        (THREAD.format(1, thread_id), world.key_b),  # same number, other studio
        (THREAD.format(1, thread_id + 1000), world.key_a),
    ):  # missing
        for response in (
            client.put(path, json=request(), headers={"X-API-KEY": key}),
            client.get(path, headers={"X-API-KEY": key}),
        ):
            assert response.status_code == 404
            assert response.json()["errorCode"] == "THREAD_NOT_FOUND"


def test_unknown_customer_is_404(api: TestClient) -> None:
    response = api.post(THREADS.format(999), json=request())
    assert response.status_code == 404
    assert response.json()["errorCode"] == "CUSTOMER_NOT_FOUND"


def test_writing_needs_communication_write(
    client: TestClient, db: Database, world: World, clock: FixedClock
) -> None:
    with db.transaction() as session:
        key = make_key(
            session,
            world.studio_a,
            now=clock.now,
            scopes=[s for s in Scope if s is not Scope.COMMUNICATION_WRITE],
        )
    response = client.post(THREADS.format(1), json=request(), headers={"X-API-KEY": key})
    assert response.status_code == 403
    assert response.json()["errorCode"] == "MISSING_SCOPE"
    assert "COMMUNICATION_WRITE" in response.json()["errorMessage"]


@pytest.mark.parametrize(
    ("overrides", "reference"),
    [
        ({"subject": None}, "subject"),
        ({"subject": ""}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"subject": "x" * 256}, "subject"),
        ({"content": None}, "content"),
        ({"content": ""}, "content"),
        ({"content": "x" * 100_001}, "content"),
        ({"communicationThreadStatus": "OPEN"}, "communicationThreadStatus"),
        ({"communicationThreadStatus": None}, "communicationThreadStatus"),
        ({"communicationDirection": "SIDEWAYS"}, "communicationDirection"),
        ({"communicationChannel": "SMS"}, "communicationChannel"),
        ({"communicationChannel": None}, "communicationChannel"),
        ({"ticketLink": "x" * 2049}, "ticketLink"),
        ({"ticketLink": 123}, "ticketLink"),
        ({"ticketNumber": "x" * 256}, "ticketNumber"),
        ({"agent": 42}, "agent"),
        ({"communicationDateTime": "yesterday"}, "communicationDateTime"),
        ({"communicationDateTime": "2022-06-22T08:00:00"}, "communicationDateTime"),
        ({"messageCategory": "SPAM"}, "messageCategory"),
        ({"requestId": ""}, "requestId"),
    ],
)
def test_invalid_requests_are_400_naming_the_field_and_store_nothing(
    api: TestClient, overrides: dict[str, Any], reference: str
) -> None:
    response = api.post(THREADS.format(1), json=request(**overrides))
    assert response.status_code == 400, response.text
    assert response.json()["errorCode"] == "VALIDATION_FAILED"
    assert response.json()["reference"] == reference
    assert api.get(THREADS.format(1)).json()["result"] == []


def test_content_of_exactly_100000_characters_is_fine(api: TestClient) -> None:
    assert api.post(THREADS.format(1), json=request(content="x" * 100_000)).status_code == 200


@pytest.mark.parametrize("thread_id", ["abc", "9223372036854775808", "1.0", "+1", "01", "-0"])
def test_malformed_thread_ids_are_400(api: TestClient, thread_id: str) -> None:
    response = api.put(f"/v1/communications/1/threads/{thread_id}", json=request())
    assert response.status_code == 400
    assert response.json()["reference"] == "threadId"


@pytest.mark.parametrize("thread_id", ["0", "-3", "-9223372036854775808"])
def test_int64_thread_ids_that_name_nothing_are_404_and_store_nothing(
    api: TestClient, thread_id: str
) -> None:
    response = api.put(f"/v1/communications/1/threads/{thread_id}", json=request())
    assert response.status_code == 404, response.text
    assert response.json()["errorCode"] == "THREAD_NOT_FOUND"
    assert api.get(THREADS.format(1)).json()["result"] == []


@pytest.mark.parametrize(
    "link", ["JIRA-123", "/tickets/42", "x" * 2048, "https://ticketing-system.com/ticket/A1"]
)
def test_ticket_link_is_any_string(api: TestClient, link: str) -> None:
    created = api.post(THREADS.format(1), json=request(ticketLink=link))
    assert created.status_code == 200, created.text
    assert created.json()["ticketLink"] == link
    stored = api.get(THREAD.format(1, created.json()["threadId"])).json()
    assert stored["communications"][0]["ticketLink"] == link


def test_communication_date_time_is_stored_as_that_instant(api: TestClient) -> None:
    body = request(communicationDateTime="2022-06-22T08:00:00.000+02:00[Europe/Berlin]")
    answer = api.post(THREADS.format(1), json=body).json()
    assert answer["communicationDateTime"] == "2022-06-22T06:00:00Z"
    thread = api.get(THREAD.format(1, answer["threadId"])).json()
    assert thread["communications"][0]["communicationDateTime"] == "2022-06-22T06:00:00Z"
