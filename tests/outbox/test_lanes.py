"""The worker's two lanes: items whose handler blocks a thread are claimed only up to the threads
free and hold their place until recorded; items of async handlers keep their large limit."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime

from fastapi import FastAPI
from sqlalchemy import Engine, func, select

from studio_comms.db.database import Database
from studio_comms.db.tx import Tx
from studio_comms.outbox import queue
from studio_comms.outbox.models import OutboxItem
from studio_comms.outbox.queue import ClaimedItem
from studio_comms.outbox.service import EVENT_KIND, MESSAGE_KIND
from studio_comms.outbox.worker import AttemptInfo, Outcome, Recorder, Worker, WorkerConfig
from tests.dbtools import orm
from tests.factories import World
from tests.webhooks.processes import wait_until

THREADS = 2


def _held(db: Database, owner: str, kind: str) -> int:
    """Items of ``kind`` this worker holds a lease on and has not recorded yet."""
    with orm(db) as session:
        count = session.scalar(
            select(func.count())
            .select_from(OutboxItem)
            .where(
                OutboxItem.lease_owner == owner, OutboxItem.kind == kind, OutboxItem.completed_at.is_(None)
            )
        )
    return int(count or 0)


class _Blocking:
    """A plain ``perform`` (a worker thread): notes how many items of its kind the worker holds."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.owner = ""
        self.seen: list[int] = []

    def perform(self, item: ClaimedItem, now: datetime) -> Recorder:
        self.seen.append(_held(self.db, self.owner, item.kind))
        time.sleep(0.02)
        return lambda tx, attempt: Outcome()

    def failed(self, tx: Tx, item: ClaimedItem, attempt: AttemptInfo, error: str) -> None:
        """Nothing of its own to record."""

    def close(self) -> None:
        """Nothing held."""


class _Async:
    """An ``async def perform`` (the loop): each waits until all 40 are in flight together."""

    def __init__(self) -> None:
        self.at_once = 0
        self.running = 0
        self.release = threading.Event()

    async def perform(self, item: ClaimedItem, now: datetime) -> Recorder:
        self.running += 1
        self.at_once = max(self.at_once, self.running)
        while not self.release.is_set() and self.running < 40:
            await asyncio.sleep(0.01)
        self.running -= 1
        return lambda tx, attempt: Outcome()

    def failed(self, tx: Tx, item: ClaimedItem, attempt: AttemptInfo, error: str) -> None:
        """Nothing of its own to record."""

    def close(self) -> None:
        """Nothing held."""


def test_blocking_items_are_claimed_up_to_the_free_threads_and_held_until_recorded(
    live: tuple[FastAPI, World], engine: Engine
) -> None:
    studio_id = live[1].studio_a
    db = Database(engine)
    now = datetime.now(UTC)
    with db.transaction() as tx:
        queue.add_many(tx, kind=MESSAGE_KIND, studio_id=studio_id, event_type=MESSAGE_KIND,
                       entity_ids=range(1, 31), now=now)  # fmt: skip
        queue.add_many(tx, kind=EVENT_KIND, studio_id=studio_id, event_type="test",
                       entity_ids=range(1, 41), now=now)  # fmt: skip
    blocking, running = _Blocking(db), _Async()
    config = WorkerConfig(retry_schedule=(60,), concurrency=THREADS, batch_size=32, poll_seconds=0.05)
    worker = Worker(db, {MESSAGE_KIND: blocking, EVENT_KIND: running}, config)
    blocking.owner = worker.owner
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    try:
        wait_until(lambda: len(blocking.seen) >= 30 and running.at_once >= 40, 60, "every item performed")
        running.release.set()
        wait_until(lambda: _held(db, worker.owner, MESSAGE_KIND) + _held(db, worker.owner, EVENT_KIND) == 0,
                   30, "every item recorded")  # fmt: skip
    finally:
        running.release.set()
        stop.set()
        thread.join(30)
        worker.close()
    # Never more claimed than threads (issue 22: 256 claimed for 8 threads; the leases of those
    # waiting expired and the same worker sent them again) ...
    assert max(blocking.seen) <= THREADS
    assert len(blocking.seen) == 30
    # ... while the async kind had all 40 in flight at once.
    assert running.at_once == 40
