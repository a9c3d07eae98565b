"""Replay, test pings, disabling after the failure window, and the operator's outbox commands."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from studio_comms.db.database import Database
from studio_comms.outbox import queue
from studio_comms.outbox import stats as outbox_stats
from studio_comms.outbox.models import OutboxItem
from studio_comms.outbox.worker import Worker
from studio_comms.webhooks.deliveries import reopen_dead
from tests.assertions import assert_error
from tests.conftest import FixedClock
from tests.dbtools import orm
from tests.receiver import Receiver
from tests.webhooks.conftest import dead_delivery, deliveries, later, set_preference, subscribe


def test_replay_sends_a_finished_delivery_again_with_the_same_uuid(
    api: TestClient, receiver: Receiver, worker: Worker
) -> None:
    webhook_id = subscribe(api, receiver.url)["webhookId"]
    set_preference(api, 1, active=True)
    worker.drain()
    [delivery] = deliveries(api, webhook_id)

    response = api.post(f"/v1/webhooks/{webhook_id}/deliveries/{delivery['deliveryId']}/retry")
    assert response.status_code == 202, response.text
    assert response.json() == {
        "deliveryId": delivery["deliveryId"],
        "eventUuid": delivery["eventUuid"],
        "state": "PENDING",
    }
    # Still pending: a second replay is refused until this one has finished.
    pending = api.post(f"/v1/webhooks/{webhook_id}/deliveries/{delivery['deliveryId']}/retry")
    assert_error(pending, 409, "DELIVERY_PENDING")
    worker.drain()

    assert receiver.uuids() == [delivery["eventUuid"]] * 2
    [replayed] = deliveries(api, webhook_id)
    assert replayed["state"] == "SUCCEEDED"
    assert replayed["attempt"] == 2


def test_replay_of_an_unknown_or_foreign_delivery_is_404(
    api: TestClient, receiver: Receiver, worker: Worker
) -> None:
    first = subscribe(api, receiver.url)["webhookId"]
    second = subscribe(api, receiver.url)["webhookId"]
    set_preference(api, 1, active=True)
    worker.drain()
    delivery_of_first = deliveries(api, first)[0]["deliveryId"]
    assert_error(
        api.post(f"/v1/webhooks/{second}/deliveries/{delivery_of_first}/retry"), 404, "DELIVERY_NOT_FOUND"
    )
    assert_error(api.post(f"/v1/webhooks/{first}/deliveries/999999/retry"), 404, "DELIVERY_NOT_FOUND")
    assert_error(api.post(f"/v1/webhooks/{first}/deliveries/0/retry"), 404, "DELIVERY_NOT_FOUND")
    assert_error(
        api.post(f"/v1/webhooks/{first}/deliveries/1.0/retry"), 400, "VALIDATION_FAILED", "deliveryId"
    )
    assert_error(api.post("/v1/webhooks/-1/deliveries/1/retry"), 404, "WEBHOOK_NOT_FOUND")


def test_ping_goes_to_that_subscription_only(api: TestClient, receiver: Receiver, worker: Worker) -> None:
    pinged = subscribe(api, receiver.url + "/pinged")
    subscribe(api, receiver.url + "/other")
    response = api.post(f"/v1/webhooks/{pinged['webhookId']}/test")
    assert response.status_code == 202, response.text
    worker.drain()
    [request] = receiver.wait_for(1)
    assert request.path == "/hooks/pinged"
    assert request.json["entityId"] == pinged["webhookId"]
    assert request.json["payload"][0]["type"] == "PING"
    assert request.json["uuid"] == response.json()["eventUuid"]


def test_deliveries_come_in_slices_newest_first(api: TestClient, receiver: Receiver, worker: Worker) -> None:
    webhook_id = subscribe(api, receiver.url)["webhookId"]
    for _ in range(3):
        assert api.post(f"/v1/webhooks/{webhook_id}/test").status_code == 202
    worker.drain()
    first = api.get(f"/v1/webhooks/{webhook_id}/deliveries", params={"sliceSize": 2}).json()
    assert first["hasNext"] is True
    second = api.get(
        f"/v1/webhooks/{webhook_id}/deliveries", params={"sliceSize": 2, "offset": first["offset"]}
    ).json()
    assert second["hasNext"] is False
    ids = [d["deliveryId"] for d in first["result"] + second["result"]]
    assert ids == sorted(ids, reverse=True)
    assert len(ids) == 3
    assert_error(
        api.get(f"/v1/webhooks/{webhook_id}/deliveries", params={"offset": "x"}),
        400,
        "VALIDATION_FAILED",
        "offset",
    )


def test_a_subscription_failing_for_five_days_is_disabled(
    api: TestClient, receiver: Receiver, worker: Worker, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    webhook_id = subscribe(api, receiver.url)["webhookId"]
    receiver.always_fail = True
    set_preference(api, 1, active=True)
    worker.drain()
    assert api.get(f"/v1/webhooks/{webhook_id}").json()["failingSince"] == clock.now.isoformat().replace(
        "+00:00", "Z"
    )
    # A new event every day and the retries of the earlier ones: failures every six hours. Five
    # days after the first failure, the next failed attempt disables the subscription.
    for step in range(1, 20):
        later(clock, worker, 6 * 3600)
        if step % 4 == 0:
            set_preference(api, 1, active=step % 8 == 0)
            worker.drain()
        assert api.get(f"/v1/webhooks/{webhook_id}").json()["status"] == "ACTIVE", f"step {step}"
    later(clock, worker, 6 * 3600)

    webhook = api.get(f"/v1/webhooks/{webhook_id}").json()
    assert webhook["status"] == "DISABLED"
    assert webhook["disabledAt"] is not None
    assert any("disabled" in record.getMessage() and record.levelname == "ERROR" for record in caplog.records)
    assert "WEBHOOK_DISABLED" in api.post(f"/v1/webhooks/{webhook_id}/test").text
    # Nothing more is sent; deliveries still queued are cancelled.
    sent = len(receiver.requests)
    set_preference(api, 1, active=False)
    later(clock, worker, 40_000)
    assert len(receiver.requests) == sent
    states = {d["state"] for d in deliveries(api, webhook_id)}
    assert "CANCELLED" in states
    assert "PENDING" not in states

    # The partner fixes the endpoint and resumes: deliveries flow again.
    receiver.always_fail = False
    resumed = api.patch(f"/v1/webhooks/{webhook_id}", json={"status": "ACTIVE"}).json()
    assert resumed["status"] == "ACTIVE"
    assert "failingSince" not in resumed
    set_preference(api, 1, active=True)
    worker.drain()
    assert receiver.requests[-1].headers["x-test-answer"] == "200"


def test_a_quiet_spell_longer_than_any_retry_starts_a_new_failure_window(
    api: TestClient, receiver: Receiver, worker: Worker, clock: FixedClock
) -> None:
    webhook_id = dead_delivery(api, receiver, worker, clock)
    clock.now += timedelta(days=6)  # nothing to send for six days
    set_preference(api, 1, active=False)
    worker.drain()
    webhook = api.get(f"/v1/webhooks/{webhook_id}").json()
    assert webhook["status"] == "ACTIVE"
    assert webhook["failingSince"] == clock.now.isoformat().replace("+00:00", "Z")


def test_a_success_ends_the_failure_window(
    api: TestClient, receiver: Receiver, worker: Worker, clock: FixedClock
) -> None:
    webhook_id = subscribe(api, receiver.url)["webhookId"]
    receiver.failures = 1
    set_preference(api, 1, active=True)
    worker.drain()
    assert "failingSince" in api.get(f"/v1/webhooks/{webhook_id}").json()
    later(clock, worker, 10)
    assert "failingSince" not in api.get(f"/v1/webhooks/{webhook_id}").json()
    clock.now += timedelta(days=6)
    receiver.failures = 1
    set_preference(api, 1, active=False)
    worker.drain()
    assert api.get(f"/v1/webhooks/{webhook_id}").json()["status"] == "ACTIVE"


def test_outbox_stats_and_retry_dead(
    api: TestClient, receiver: Receiver, worker: Worker, clock: FixedClock, db: Database
) -> None:
    webhook_id = dead_delivery(api, receiver, worker, clock)
    with db.read() as tx:
        by_kind = {row.kind: row for row in outbox_stats.stats(tx, now=clock.now)}
    assert (by_kind["webhook"].dead, by_kind["webhook"].pending) == (1, 0)
    assert (by_kind["event"].done, by_kind["event"].dead) == (1, 0)

    receiver.always_fail = False
    with db.transaction() as tx:
        revived = queue.retry_dead(tx, now=clock.now)
        webhooks = [(item.studio_id, item.entity_id) for item in revived if item.kind == "webhook"]
        reopen_dead(tx, webhooks, now=clock.now)
    assert [item.kind for item in revived] == ["webhook"]
    assert deliveries(api, webhook_id)[0]["state"] == "PENDING"
    worker.drain()
    assert deliveries(api, webhook_id)[0]["state"] == "SUCCEEDED"
    with orm(db) as session:
        item = session.scalars(select(OutboxItem).where(OutboxItem.kind == "webhook")).one()
        assert (item.dead_at, item.attempts) == (None, 1)
