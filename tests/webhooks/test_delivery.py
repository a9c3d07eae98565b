"""Events reach a real receiver on loopback: signed, once per uuid, retried until they succeed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from studio_comms.db.database import Database
from studio_comms.outbox.models import OutboxItem
from studio_comms.outbox.worker import Worker
from tests.conftest import FixedClock
from tests.dbtools import orm
from tests.factories import World
from tests.receiver import Receiver
from tests.webhooks.conftest import dead_delivery, deliveries, later, set_preference, subscribe


def test_preference_update_arrives_signed_in_the_sport_alliance_envelope(
    api: TestClient, receiver: Receiver, worker: Worker, clock: FixedClock
) -> None:
    created = subscribe(api, receiver.url)
    set_preference(api, 2, active=True)
    worker.drain()

    [request] = receiver.wait_for(1)
    body = request.json
    assert body["entityId"] == 2
    assert set(body) == {"entityId", "uuid", "payload"}
    [event] = body["payload"]
    assert event["type"] == "CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED"
    assert event["timestamp"] == int(clock.now.timestamp() * 1000)
    assert request.headers["x-api-key"] == created["apiKey"]
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == body["uuid"]
    # The receiver's check, with the Standard Webhooks library itself.
    assert Webhook(created["signingSecret"]).verify(request.body, request.headers) == body


def test_a_signature_made_with_another_secret_or_body_does_not_verify(
    api: TestClient, receiver: Receiver, worker: Worker
) -> None:
    created = subscribe(api, receiver.url)
    other = api.post(
        "/v1/webhooks/{}/rotate-secrets".format(subscribe(api, receiver.url)["webhookId"])
    ).json()
    set_preference(api, 1, active=True)
    worker.drain()
    request = next(r for r in receiver.wait_for(2) if r.headers["x-api-key"] == created["apiKey"])
    with pytest.raises(WebhookVerificationError):
        Webhook(other["signingSecret"]).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(created["signingSecret"]).verify(
            request.body.replace('"entityId":1', '"entityId":2'), request.headers
        )


def test_thread_events_arrive_too(api: TestClient, receiver: Receiver, worker: Worker) -> None:
    subscribe(api, receiver.url)
    thread = {
        "communicationThreadStatus": "CREATED",
        "subject": "Hello",
        "content": "Welcome",
        "communicationDirection": "INCOMING",
        "communicationChannel": "EMAIL",
    }
    response = api.post("/v1/communications/3/threads", json=thread)
    assert response.status_code == 200, response.text
    worker.drain()
    requests = receiver.wait_for(2)
    assert sorted(r.json["payload"][0]["type"] for r in requests) == [
        "COMMUNICATION_CREATED",
        "COMMUNICATION_THREAD_CREATED",
    ]
    assert {r.json["entityId"] for r in requests} == {3}
    created = next(r for r in requests if r.json["payload"][0]["type"] == "COMMUNICATION_CREATED")
    assert created.json["payload"][0]["content"]["threadId"] == response.json()["threadId"]


def test_failed_attempts_are_retried_and_the_event_arrives_once_after_recovery(
    api: TestClient, receiver: Receiver, worker: Worker, clock: FixedClock
) -> None:
    webhook_id = subscribe(api, receiver.url)["webhookId"]
    receiver.failures = 2
    set_preference(api, 1, active=True)

    worker.drain()
    assert len(receiver.requests) == 1
    assert later(clock, worker, 1) == 0  # the first retry waits ~5 s (+-10 %)
    later(clock, worker, 6)
    assert len(receiver.requests) == 2
    later(clock, worker, 331)  # second retry: ~300 s
    assert len(receiver.requests) == 3
    later(clock, worker, 3600)
    assert len(receiver.requests) == 3  # delivered: nothing more is sent

    assert len(set(receiver.uuids())) == 1  # the same event every time
    assert [r.headers["x-test-answer"] for r in receiver.requests] == ["500", "500", "200"]
    assert len(receiver.successes()) == 1
    [delivery] = api.get(f"/v1/webhooks/{webhook_id}/deliveries").json()["result"]
    assert delivery["state"] == "SUCCEEDED"
    assert delivery["attempt"] == 3
    assert delivery["statusCode"] == 200
    assert "nextRetryAt" not in delivery
    assert [a["statusCode"] for a in delivery["attempts"]] == [500, 500, 200]
    assert [a["error"] for a in delivery["attempts"][:2]] == ["HTTP 500", "HTTP 500"]
    assert all(a["durationMs"] >= 0 for a in delivery["attempts"])


def test_the_log_shows_the_next_retry_of_a_failing_delivery(
    api: TestClient, receiver: Receiver, worker: Worker, clock: FixedClock
) -> None:
    webhook_id = subscribe(api, receiver.url)["webhookId"]
    receiver.always_fail = True
    receiver.failure_status = 503
    set_preference(api, 1, active=True)
    worker.drain()
    [delivery] = api.get(f"/v1/webhooks/{webhook_id}/deliveries").json()["result"]
    assert delivery["state"] == "PENDING"
    assert delivery["error"] == "HTTP 503"
    next_retry = datetime.fromisoformat(delivery["nextRetryAt"])
    assert 4.5 <= (next_retry - clock.now).total_seconds() <= 5.5


def test_a_delivery_is_dead_after_the_last_scheduled_attempt(
    api: TestClient, receiver: Receiver, worker: Worker, clock: FixedClock, db: Database
) -> None:
    webhook_id = dead_delivery(api, receiver, worker, clock)
    assert len(receiver.requests) == 8
    [delivery] = deliveries(api, webhook_id)
    assert delivery["attempt"] == 8
    assert "nextRetryAt" not in delivery
    with orm(db) as session:
        item = session.scalars(select(OutboxItem).where(OutboxItem.kind == "webhook")).one()
        assert item.dead_at is not None
        assert item.last_error == "HTTP 500"


def test_unreachable_receiver_is_a_failed_attempt(
    api: TestClient, worker: Worker, receiver: Receiver
) -> None:
    webhook_id = subscribe(api, "http://127.0.0.1:9/nothing-listens-here")["webhookId"]
    set_preference(api, 1, active=True)
    worker.drain()
    [delivery] = api.get(f"/v1/webhooks/{webhook_id}/deliveries").json()["result"]
    assert delivery["state"] == "PENDING"
    assert "statusCode" not in delivery
    assert "Connect" in delivery["error"]


def test_a_slow_receiver_times_out(api: TestClient, worker: Worker, receiver: Receiver) -> None:
    webhook_id = subscribe(api, receiver.url)["webhookId"]
    receiver.delay_seconds = 1.5  # the test settings' timeout is 1 s (production: 5 s)
    set_preference(api, 1, active=True)
    worker.drain()
    [delivery] = api.get(f"/v1/webhooks/{webhook_id}/deliveries").json()["result"]
    assert delivery["state"] == "PENDING"
    assert delivery["error"] == "timed out after 1 s"
    assert delivery["durationMs"] >= 1000


def test_event_type_filters(api: TestClient, receiver: Receiver, worker: Worker) -> None:
    only_threads = subscribe(api, receiver.url + "/threads", eventTypes=["COMMUNICATION_THREAD_CREATED"])
    only_prefs = subscribe(
        api, receiver.url + "/prefs", eventTypes=["CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED"]
    )
    set_preference(api, 1, active=True)
    worker.drain()
    [request] = receiver.wait_for(1)
    assert request.path == "/hooks/prefs"
    assert api.get(f"/v1/webhooks/{only_threads['webhookId']}/deliveries").json()["result"] == []
    assert len(api.get(f"/v1/webhooks/{only_prefs['webhookId']}/deliveries").json()["result"]) == 1


def test_each_subscription_gets_its_own_delivery(api: TestClient, receiver: Receiver, worker: Worker) -> None:
    working = subscribe(api, receiver.url + "/working")
    down = subscribe(api, "http://127.0.0.1:9/down")
    set_preference(api, 1, active=True)
    worker.drain()
    assert [r.path for r in receiver.wait_for(1)] == ["/hooks/working"]
    states = {
        hook["webhookId"]: api.get(f"/v1/webhooks/{hook['webhookId']}/deliveries").json()["result"][0][
            "state"
        ]
        for hook in (working, down)
    }
    assert states == {working["webhookId"]: "SUCCEEDED", down["webhookId"]: "PENDING"}


def test_events_of_another_studio_are_not_sent(
    client: TestClient, world: World, receiver: Receiver, worker: Worker
) -> None:
    client.headers["X-API-KEY"] = world.key_a
    subscribe(client, receiver.url)
    client.headers["X-API-KEY"] = world.key_b
    set_preference(client, 1, active=True)
    worker.drain()
    assert receiver.requests == []


def test_unchanged_preferences_send_nothing(api: TestClient, receiver: Receiver, worker: Worker) -> None:
    subscribe(api, receiver.url)
    set_preference(api, 1, active=False)  # already off by default: no change, no event
    worker.drain()
    assert receiver.requests == []


def test_deleted_subscription_cancels_its_queued_deliveries(
    api: TestClient, receiver: Receiver, worker: Worker
) -> None:
    webhook_id = subscribe(api, receiver.url)["webhookId"]
    set_preference(api, 1, active=True)
    worker.drain(limit=1)  # fan-out only: the delivery is queued
    assert api.delete(f"/v1/webhooks/{webhook_id}").status_code == 204
    worker.drain()
    assert receiver.requests == []


def test_the_envelope_timestamp_is_the_event_time_in_epoch_ms(
    api: TestClient, receiver: Receiver, worker: Worker, clock: FixedClock
) -> None:
    subscribe(api, receiver.url)
    clock.now = datetime(2026, 11, 27, 9, 30, 15, 123000, tzinfo=UTC)
    set_preference(api, 1, active=True)
    clock.now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # sent later
    worker.drain()
    [request] = receiver.wait_for(1)
    assert request.json["payload"][0]["timestamp"] == 1795771815123
