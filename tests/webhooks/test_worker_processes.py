"""Real workers on committed data: crashes lose nothing, several workers share the work, a slow
endpoint does not hold up another."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, select

from studio_comms.background import build_worker
from studio_comms.db.database import Database
from studio_comms.outbox.models import OutboxItem
from studio_comms.outbox.service import EventType, enqueue
from studio_comms.settings import Settings
from studio_comms.webhooks import service as webhooks
from studio_comms.webhooks.schemas import WebhookCreate
from tests.dbtools import orm
from tests.factories import World
from tests.receiver import Receiver, running_receiver
from tests.webhooks.processes import (
    WorkerProcess,
    enqueue_committed,
    open_items,
    start_worker,
    subscribe_committed,
    wait_started,
    wait_until,
)

# Worker processes racing for items, with deadlines: run alone (make test's serial part).
pytestmark = pytest.mark.serial


@pytest.fixture
def studio(live: tuple[FastAPI, World], engine: Engine, receiver: Receiver) -> int:
    """A committed studio subscribed to the receiver (purged afterwards by ``live``)."""
    studio_id = live[1].studio_a
    subscribe_committed(engine, studio_id, receiver.url)
    return studio_id


@pytest.fixture
def spawn(database_url: str, tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start ``studio-comms worker`` processes on this run's database; killed if still running."""
    started: list[WorkerProcess] = []

    def start(name: str, **settings: str) -> WorkerProcess:
        started.append(start_worker(database_url, tmp_path, name, **settings))
        return started[-1]

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.kill()


def test_a_worker_killed_mid_batch_loses_no_event(
    studio: int,
    engine: Engine,
    receiver: Receiver,
    spawn: Callable[..., WorkerProcess],
) -> None:
    expected = set(enqueue_committed(engine, studio, 30))
    receiver.delay_seconds = 0.3  # slow enough that the kill lands with requests in flight

    first = spawn("first")
    wait_started(first)
    wait_until(lambda: receiver.started >= 3, 30, "the first worker sends", workers=[first])
    first.kill()
    assert len(receiver.successes()) < len(expected), "killed too late to prove anything"

    second = spawn("second")
    wait_started(second)
    wait_until(lambda: set(receiver.uuids()) >= expected, 60, "every event arrives after the restart",
               workers=[first, second])  # fmt: skip
    wait_until(lambda: open_items(engine, studio) == 0, 30, "every outbox item is finished",
               workers=[first, second])  # fmt: skip
    assert second.terminate() == 0
    assert {request.uuid for request in receiver.successes()} == expected
    # At least once: only what the killed worker had in flight may arrive twice.
    repeats = sum(count - 1 for count in Counter(receiver.uuids()).values())
    assert repeats <= 8  # the worker's concurrency
    with orm(Database(engine)) as session:
        dead = select(OutboxItem).where(OutboxItem.studio_id == studio, OutboxItem.dead_at.is_not(None))
        assert session.scalars(dead).all() == []


@pytest.mark.postgres_only
def test_two_workers_deliver_a_thousand_events_exactly_once(
    studio: int,
    engine: Engine,
    receiver: Receiver,
    spawn: Callable[..., WorkerProcess],
) -> None:
    workers = [spawn("one"), spawn("two")]
    for worker in workers:
        wait_started(worker)  # both take part from the start
    expected = enqueue_committed(engine, studio, 1000)

    wait_until(lambda: len(receiver.requests) >= 1000, 120, "1,000 deliveries", workers=workers)
    wait_until(lambda: open_items(engine, studio) == 0, 30, "every outbox item is finished", workers=workers)
    assert [worker.terminate() for worker in workers] == [0, 0]

    uuids = receiver.uuids()
    logs = "\n".join(worker.output()[-4000:] for worker in workers)
    assert len(uuids) == 1000, f"an event was delivered twice:\n{logs}"
    assert set(uuids) == set(expected)
    assert all(request.headers["x-test-answer"] == "200" for request in receiver.requests)
    done = [worker.done_count() for worker in workers]
    assert sum(done) == 2000  # an event item and a delivery item per event
    assert min(done) > 0, f"one worker did all the work: {done}"


def test_sigterm_finishes_the_items_in_flight(
    studio: int,
    engine: Engine,
    receiver: Receiver,
    spawn: Callable[..., WorkerProcess],
) -> None:
    enqueue_committed(engine, studio, 3)
    receiver.delay_seconds = 1.0
    worker = spawn("worker")
    wait_started(worker)
    wait_until(lambda: receiver.started >= 1, 30, "a request in flight", workers=[worker])

    assert worker.terminate(timeout=15) == 0
    in_flight = receiver.started
    assert len(receiver.requests) == in_flight  # every started request was answered...
    with orm(Database(engine)) as session:
        items = session.scalars(
            select(OutboxItem).where(OutboxItem.studio_id == studio, OutboxItem.kind == "webhook")
        ).all()
    # ...and recorded: no delivery left leased by the stopped worker.
    assert sum(item.completed_at is not None for item in items) == in_flight
    assert all(item.lease_owner is None for item in items)
    assert "stopping" in worker.output()


@pytest.mark.postgres_only
def test_listen_notify_wakes_an_idle_worker_at_once(
    studio: int,
    engine: Engine,
    receiver: Receiver,
    spawn: Callable[..., WorkerProcess],
) -> None:
    # Polling once a second: without a notification an event waits 0.5 s on average.
    wait_started(spawn("worker", worker_poll_seconds="1.0"))
    enqueue_committed(engine, studio, 1)
    receiver.wait_for(1)
    latencies = []
    for sent in range(2, 7):
        time.sleep(1.2)  # idle again
        started = time.monotonic()
        enqueue_committed(engine, studio, 1)
        receiver.wait_for(sent)
        latencies.append(time.monotonic() - started)
    assert max(latencies) < 0.4, latencies


def test_a_slow_endpoints_backlog_does_not_hold_up_another_endpoint(
    live: tuple[FastAPI, World], engine: Engine, settings: Settings, receiver: Receiver
) -> None:
    """A worker (8 threads) meets 16 deliveries to an endpoint answering in 1 s, then one to a
    fast endpoint: the slow one gets 2 threads at a time, the fast delivery does not wait."""
    studio_id = live[1].studio_a
    receiver.delay_seconds = 1.0
    with running_receiver() as fast:
        now = datetime.now(UTC)
        with Database(engine).transaction() as session:
            slow_only = {"url": receiver.url, "eventTypes": ["COMMUNICATION_CREATED"]}
            fast_only = {"url": fast.url, "eventTypes": ["CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED"]}
            webhooks.create(session, studio_id, WebhookCreate.model_validate(slow_only), now=now)
            webhooks.create(session, studio_id, WebhookCreate.model_validate(fast_only), now=now)
            for number in range(1, 17):
                enqueue(
                    session,
                    studio_id=studio_id,
                    event_type=EventType.COMMUNICATION_CREATED,
                    entity_id=number,
                    now=now,
                )
        worker = build_worker(
            settings.model_copy(update={"worker_poll_seconds": 0.05, "webhook_timeout_seconds": 5.0}),
            Database(engine),
        )
        stop = threading.Event()
        running = threading.Thread(target=worker.run, args=(stop,))
        running.start()
        try:
            wait_until(lambda: receiver.started >= 2, 10, "the slow endpoint is busy")
            with Database(engine).transaction() as session:
                enqueue(
                    session,
                    studio_id=studio_id,
                    event_type=EventType.CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED,
                    entity_id=1,
                    now=datetime.now(UTC),
                )
            queued = time.monotonic()
            fast.wait_for(1, timeout=10)
            waited = time.monotonic() - queued
            wait_until(lambda: len(receiver.requests) >= 16, 30, "every slow delivery")
        finally:
            stop.set()
            running.join(30)
            worker.close()
    assert waited < 0.9, f"the fast endpoint waited {waited:.2f} s behind the slow one"
    assert receiver.most_at_once == 2  # webhook_max_in_flight_per_endpoint
