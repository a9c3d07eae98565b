"""``/v1/webhooks``: a studio manages its own subscriptions; credentials are shown once."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from studio_comms.core.auth import Scope
from studio_comms.db.database import Database
from studio_comms.webhooks.models import WebhookSubscription
from tests.assertions import assert_error
from tests.conftest import FixedClock
from tests.dbtools import orm
from tests.factories import World, make_key
from tests.receiver import Receiver
from tests.webhooks.conftest import subscribe


def test_create_answers_201_with_credentials_once(api: TestClient, receiver: Receiver) -> None:
    created = subscribe(api, receiver.url, description="CRM sync")
    assert created["url"] == receiver.url
    assert created["eventTypes"] == [
        "CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED",
        "COMMUNICATION_THREAD_CREATED",
        "COMMUNICATION_CREATED",
        "COMMUNICATION_THREAD_STATUS_CHANGED",
        "MESSAGE_STATUS_CHANGED",
    ]
    assert created["allEventTypes"] is True
    assert created["status"] == "ACTIVE"
    assert created["description"] == "CRM sync"
    assert created["signingSecret"].startswith("whsec_")
    assert len(created["apiKey"]) >= 32
    for read in (api.get(f"/v1/webhooks/{created['webhookId']}").json(), api.get("/v1/webhooks").json()[0]):
        assert read["webhookId"] == created["webhookId"]
        assert "apiKey" not in read
        assert "signingSecret" not in read


def test_event_types_are_stored_sorted_without_repeats(api: TestClient, receiver: Receiver) -> None:
    created = subscribe(
        api,
        receiver.url,
        eventTypes=[
            "COMMUNICATION_CREATED",
            "CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED",
            "COMMUNICATION_CREATED",
        ],
    )
    assert created["eventTypes"] == ["COMMUNICATION_CREATED", "CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED"]
    assert created["allEventTypes"] is False


@pytest.mark.parametrize(
    ("body", "reference"),
    [
        ({"url": "http://127.0.0.1/x", "eventTypes": ["NO_SUCH_EVENT"]}, "eventTypes[0]"),
        ({"url": "http://127.0.0.1/x", "eventTypes": ["PING"]}, "eventTypes[0]"),
        ({"url": "http://127.0.0.1/x", "eventTypes": []}, "eventTypes"),
        ({"url": "http://127.0.0.1/x", "secret": "mine"}, "secret"),
        ({"eventTypes": ["COMMUNICATION_CREATED"]}, "url"),
        ({"url": ""}, "url"),
    ],
)
def test_invalid_bodies_are_400_and_store_nothing(
    api: TestClient, db: Database, body: dict[str, object], reference: str
) -> None:
    assert_error(api.post("/v1/webhooks", json=body), 400, "VALIDATION_FAILED", reference)
    with orm(db) as session:
        assert session.scalar(select(func.count()).select_from(WebhookSubscription)) == 0


def test_another_studios_webhook_is_404(client: TestClient, world: World, receiver: Receiver) -> None:
    client.headers["X-API-KEY"] = world.key_a
    webhook_id = subscribe(client, receiver.url)["webhookId"]
    client.headers["X-API-KEY"] = world.key_b
    assert client.get("/v1/webhooks").json() == []
    for response in (
        client.get(f"/v1/webhooks/{webhook_id}"),
        client.patch(f"/v1/webhooks/{webhook_id}", json={"description": "mine now"}),
        client.delete(f"/v1/webhooks/{webhook_id}"),
        client.post(f"/v1/webhooks/{webhook_id}/test"),
        client.post(f"/v1/webhooks/{webhook_id}/rotate-secrets"),
        client.get(f"/v1/webhooks/{webhook_id}/deliveries"),
    ):
        assert_error(response, 404, "WEBHOOK_NOT_FOUND")
    client.headers["X-API-KEY"] = world.key_a
    assert "description" not in client.get(f"/v1/webhooks/{webhook_id}").json()


def test_webhooks_need_the_webhooks_manage_scope(
    client: TestClient, db: Database, world: World, clock: FixedClock, receiver: Receiver
) -> None:
    with db.transaction() as session:
        key = make_key(
            session, world.studio_a, now=clock.now, scopes=[s for s in Scope if s != Scope.WEBHOOKS_MANAGE]
        )
    client.headers["X-API-KEY"] = key
    assert_error(client.post("/v1/webhooks", json={"url": receiver.url}), 403, "MISSING_SCOPE")
    assert_error(client.get("/v1/webhooks"), 403, "MISSING_SCOPE")
    client.headers.pop("X-API-KEY")
    assert_error(client.get("/v1/webhooks"), 401, "AUTHENTICATION_FAILED")


def test_delete_hides_the_webhook(api: TestClient, receiver: Receiver) -> None:
    webhook_id = subscribe(api, receiver.url)["webhookId"]
    assert api.delete(f"/v1/webhooks/{webhook_id}").status_code == 204
    assert_error(api.get(f"/v1/webhooks/{webhook_id}"), 404, "WEBHOOK_NOT_FOUND")
    assert_error(api.delete(f"/v1/webhooks/{webhook_id}"), 404, "WEBHOOK_NOT_FOUND")
    assert api.get("/v1/webhooks").json() == []


def test_patch_changes_only_the_fields_sent(api: TestClient, receiver: Receiver) -> None:
    created = subscribe(api, receiver.url, description="first", eventTypes=["COMMUNICATION_CREATED"])
    response = api.patch(f"/v1/webhooks/{created['webhookId']}", json={"description": "second"})
    assert response.status_code == 200, response.text
    assert response.json()["description"] == "second"
    assert response.json()["eventTypes"] == ["COMMUNICATION_CREATED"]
    response = api.patch(f"/v1/webhooks/{created['webhookId']}", json={"eventTypes": None})
    assert response.json()["allEventTypes"] is True
    assert len(response.json()["eventTypes"]) == 5
    assert response.json()["description"] == "second"


def test_rotating_gives_new_credentials(api: TestClient, receiver: Receiver) -> None:
    created = subscribe(api, receiver.url)
    response = api.post(f"/v1/webhooks/{created['webhookId']}/rotate-secrets")
    assert response.status_code == 200, response.text
    rotated = response.json()
    assert rotated["signingSecret"].startswith("whsec_")
    assert rotated["signingSecret"] != created["signingSecret"]
    assert rotated["apiKey"] != created["apiKey"]


def test_create_is_idempotent_with_a_key(api: TestClient, receiver: Receiver) -> None:
    headers = {"Idempotency-Key": "create-webhook-1"}
    first = api.post("/v1/webhooks", json={"url": receiver.url}, headers=headers)
    again = api.post("/v1/webhooks", json={"url": receiver.url}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert len(api.get("/v1/webhooks").json()) == 1


@pytest.mark.parametrize("field", ["url", "status"])
def test_patch_refuses_null_for_fields_that_cannot_be_empty(
    api: TestClient, receiver: Receiver, field: str
) -> None:
    created = subscribe(api, receiver.url)
    response = api.patch(f"/v1/webhooks/{created['webhookId']}", json={field: None})
    body = assert_error(response, 400, "VALIDATION_FAILED", field)
    assert "must not be null" in body["errorMessage"]
    after = api.get(f"/v1/webhooks/{created['webhookId']}").json()
    assert (after["url"], after["status"]) == (receiver.url, "ACTIVE")
