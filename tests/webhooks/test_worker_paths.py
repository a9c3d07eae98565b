"""The worker's rarer paths: a crashing handler, a lost lease, a replay next to retry-dead."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from studio_comms.background import build_worker
from studio_comms.db.database import Database
from studio_comms.db.sql import Sql
from studio_comms.db.tx import Tx
from studio_comms.outbox import queue
from studio_comms.outbox import stats as outbox_stats
from studio_comms.outbox.models import OutboxItem
from studio_comms.outbox.queue import ClaimedItem
from studio_comms.outbox.service import EVENT_KIND, EventType, enqueue
from studio_comms.outbox.worker import AttemptInfo, Outcome, Recorder, Worker, WorkerConfig
from studio_comms.settings import Settings
from studio_comms.webhooks import handlers
from tests.conftest import FixedClock
from tests.dbtools import orm
from tests.factories import World
from tests.receiver import Receiver
from tests.webhooks.conftest import dead_delivery, deliveries, later, set_preference, subscribe


def _items(db: Database, kind: str) -> list[OutboxItem]:
    with orm(db) as session:
        return list(session.scalars(select(OutboxItem).where(OutboxItem.kind == kind)))


def test_a_crashing_handler_is_retried_and_its_delivery_dies_with_it(
    api: TestClient,
    receiver: Receiver,
    db: Database,
    clock: FixedClock,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    webhook_id = subscribe(api, receiver.url)["webhookId"]
    set_preference(api, 1, active=True)

    def broken(**_: object) -> str:
        raise RuntimeError("envelope exploded")

    monkeypatch.setattr(handlers.signing, "envelope", broken)
    worker = build_worker(
        settings.model_copy(update={"webhook_retry_schedule": (60,)}), db, clock=clock, listen=False
    )
    try:
        worker.drain()
        [item] = _items(db, "webhook")
        assert (item.attempts, item.completed_at, item.lease_owner) == (1, None, None)
        assert item.last_error == "RuntimeError: envelope exploded"
        assert 54 <= (item.available_at - clock.now).total_seconds() <= 66
        [delivery] = deliveries(api, webhook_id)
        assert (delivery["state"], delivery["error"]) == ("PENDING", "RuntimeError: envelope exploded")

        later(clock, worker, 70)  # the last attempt crashes too
    finally:
        worker.close()
    [item] = _items(db, "webhook")
    assert item.dead_at is not None
    [delivery] = deliveries(api, webhook_id)
    assert delivery["state"] == "DEAD"  # never PENDING for ever
    assert receiver.requests == []


class _TakenOver:
    """Another worker takes the item over while this one is still working on it."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def perform(self, item: ClaimedItem, now: datetime) -> Recorder:
        with orm(self.db) as session:
            session.execute(
                update(OutboxItem).where(OutboxItem.id == item.id).values(lease_owner="other-worker")
            )
            session.commit()
        return lambda tx, attempt: Outcome()

    def failed(self, *args: object) -> None:
        raise AssertionError("not a crash")

    def close(self) -> None:
        pass


def test_a_worker_that_lost_its_lease_records_nothing(
    api: TestClient, db: Database, clock: FixedClock
) -> None:
    set_preference(api, 1, active=True)
    worker = Worker(db, {EVENT_KIND: _TakenOver(db)}, WorkerConfig(retry_schedule=(5,)), clock=clock)
    assert worker.drain(limit=1) == 1
    [item] = _items(db, EVENT_KIND)
    assert item.lease_owner == "other-worker"  # the new holder's lease stands
    assert item.completed_at is None


def test_an_expired_lease_is_claimed_again(api: TestClient, db: Database, clock: FixedClock) -> None:
    set_preference(api, 1, active=True)
    with db.transaction() as tx:
        [first] = queue.claim(
            tx,
            owner="dead-worker",
            now=clock.now,
            lease_until=clock.now + timedelta(seconds=30),
            limit=5,
        )
        assert queue.claim(tx, owner="w2", now=clock.now, lease_until=clock.now, limit=5) == []
        later_now = clock.now + timedelta(seconds=31)
        [again] = queue.claim(
            tx, owner="w2", now=later_now, lease_until=later_now + timedelta(seconds=30), limit=5
        )
    assert again.id == first.id
    assert again.attempts == 2


def test_replay_reuses_the_queue_entry_so_retry_dead_cannot_send_twice(
    api: TestClient, receiver: Receiver, worker: Worker, clock: FixedClock, db: Database
) -> None:
    webhook_id = dead_delivery(api, receiver, worker, clock)
    [delivery] = deliveries(api, webhook_id)

    receiver.always_fail = False
    replay = api.post(f"/v1/webhooks/{webhook_id}/deliveries/{delivery['deliveryId']}/retry")
    assert replay.status_code == 202
    assert len(_items(db, "webhook")) == 1  # the same row, due again
    with db.transaction() as tx:
        assert queue.retry_dead(tx, now=clock.now) == []  # nothing dead left to revive
    worker.drain()
    assert len(receiver.successes()) == 1
    assert deliveries(api, webhook_id)[0]["state"] == "SUCCEEDED"


def test_stats_tell_how_long_the_oldest_due_item_has_waited(
    api: TestClient, db: Database, clock: FixedClock
) -> None:
    set_preference(api, 1, active=True)
    clock.now += timedelta(seconds=90)
    with db.read() as tx:
        [event] = outbox_stats.stats(tx, now=clock.now)
    assert (event.kind, event.pending, event.oldest_due_seconds) == ("event", 1, 90.0)


class _Busy:
    def perform(self, item: ClaimedItem, now: datetime) -> Recorder:
        return lambda tx, attempt: Outcome(defer_seconds=5)

    def failed(self, *args: object) -> None:
        raise AssertionError("not a crash")

    def close(self) -> None:
        pass


def test_a_deferred_item_comes_back_later_without_using_an_attempt(
    api: TestClient, db: Database, clock: FixedClock
) -> None:
    set_preference(api, 1, active=True)
    worker = Worker(db, {EVENT_KIND: _Busy()}, WorkerConfig(retry_schedule=(5,)), clock=clock)
    assert worker.drain(limit=1) == 1
    [item] = _items(db, EVENT_KIND)
    assert (item.attempts, item.completed_at, item.lease_owner, item.last_error) == (0, None, None, None)
    assert item.available_at == clock.now + timedelta(seconds=5)
    assert worker.drain() == 0  # not due yet


def test_endpoint_slots_give_each_subscription_its_share() -> None:
    slots = handlers.EndpointSlots(2)
    assert [slots.take(1), slots.take(1), slots.take(1), slots.take(2)] == [True, True, False, True]
    slots.give_back(1)
    assert slots.take(1) is True


@pytest.mark.postgres_only
def test_workers_are_notified_once_per_writing_transaction(
    db: Database, world: World, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    notifications: list[str] = []
    run = Tx.run

    def counting_run(self: Tx, sql: Sql, **params: object) -> int:
        if "pg_notify" in sql.text:
            notifications.append(sql.text)
        return run(self, sql, **params)

    monkeypatch.setattr(Tx, "run", counting_run)
    with db.transaction() as tx:
        for customer in (1, 2, 3):
            enqueue(tx, studio_id=world.studio_a, event_type=EventType.COMMUNICATION_CREATED,
                    entity_id=customer, now=clock.now)  # fmt: skip
    assert len(notifications) == 1
    with db.transaction() as tx:
        enqueue(tx, studio_id=world.studio_a, event_type=EventType.COMMUNICATION_CREATED,
                entity_id=1, now=clock.now)  # fmt: skip
    assert len(notifications) == 2  # the next transaction notifies again


class _Slow:
    """An attempt that takes twenty seconds of the worker's clock and fails."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.attempts: list[AttemptInfo] = []

    def perform(self, item: ClaimedItem, now: datetime) -> Recorder:
        self.clock.now += timedelta(seconds=20)

        def record(session: object, attempt: AttemptInfo) -> Outcome:
            self.attempts.append(attempt)
            return Outcome("timed out")

        return record

    def failed(self, *args: object) -> None:
        raise AssertionError("not a crash")

    def close(self) -> None:
        pass


def test_the_retry_delay_counts_from_the_end_of_the_failed_attempt(
    api: TestClient, db: Database, clock: FixedClock
) -> None:
    set_preference(api, 1, active=True)
    started = clock.now
    slow = _Slow(clock)
    worker = Worker(db, {EVENT_KIND: slow}, WorkerConfig(retry_schedule=(60,)), clock=clock)
    assert worker.drain(limit=1) == 1
    [attempt] = slow.attempts
    assert attempt.now == started
    assert attempt.retry_at is not None
    # 60 s ± 10 % jitter after the attempt ended (20 s after it started), not after it started.
    assert timedelta(seconds=20 + 54) <= attempt.retry_at - started <= timedelta(seconds=20 + 66)
    [item] = _items(db, EVENT_KIND)
    assert item.available_at == attempt.retry_at


class _RunningClock:
    """The worker's clock from the fixed start on, advancing with real time (an attempt takes time)."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.started = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.started)


def test_a_receiver_that_times_out_gets_the_whole_retry_delay_after_the_timeout(
    api: TestClient, receiver: Receiver, db: Database, clock: FixedClock, settings: Settings
) -> None:
    webhook_id = subscribe(api, receiver.url)["webhookId"]
    set_preference(api, 1, active=True)
    receiver.delay_seconds = 2.0  # longer than the 1 s timeout of these tests
    schedule = settings.model_copy(update={"webhook_retry_schedule": (2, 300)})
    worker = build_worker(schedule, db, clock=_RunningClock(clock.now), listen=False)
    try:
        worker.drain()
    finally:
        worker.close()
    [delivery] = deliveries(api, webhook_id)
    [attempt] = delivery["attempts"]
    assert "timed out" in attempt["error"]
    attempted = datetime.fromisoformat(attempt["attemptedAt"])
    retry = datetime.fromisoformat(delivery["nextRetryAt"])
    # The 1 s timeout plus at least 2 s - 10 % (from the start it would be at most 2 s + 10 %).
    assert retry - attempted >= timedelta(seconds=1.0 + 1.8)
