"""The worker's batches on both databases: one statement for a list of items, statements deferred
to the end of the unit of work, and outcomes recorded together without one item undoing another."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from studio_comms.db.database import Database
from studio_comms.db.sql import Sql
from studio_comms.db.tx import Tx
from studio_comms.outbox import queue
from studio_comms.outbox.queue import ClaimedItem
from studio_comms.outbox.service import EVENT_KIND, EventType, enqueue
from studio_comms.outbox.worker import AttemptInfo, Outcome, Recorder, Worker, WorkerConfig
from studio_comms.webhooks import service as webhooks
from studio_comms.webhooks.repository import WebhooksRepository
from studio_comms.webhooks.schemas import WebhookCreate
from tests.conftest import FixedClock
from tests.factories import World


@dataclass(slots=True)
class _Item:
    id: int
    completed_at: datetime | None
    last_error: str | None
    attempts: int


_OPEN = Sql(
    "SELECT id, completed_at, last_error, attempts FROM outbox WHERE studio_id = :studio_id ORDER BY id",
    row=_Item,
)
_DELIVERY_OF = Sql(
    "SELECT id FROM webhook_deliveries WHERE studio_id = :studio_id AND event_uuid = :event_uuid"
)


def _events(db: Database, world: World, clock: FixedClock, count: int) -> list[ClaimedItem]:
    with db.transaction() as tx:
        for customer in range(1, count + 1):
            enqueue(tx, studio_id=world.studio_a, event_type=EventType.COMMUNICATION_CREATED,
                    entity_id=customer, now=clock.now)  # fmt: skip
        return queue.claim(tx, owner="me", now=clock.now, lease_until=clock.now + timedelta(seconds=30),
                           limit=count)  # fmt: skip


def test_a_list_parameter_selects_exactly_its_ids(db: Database, world: World, clock: FixedClock) -> None:
    first, second, third = (item.id for item in _events(db, world, clock, 3))
    with db.transaction() as tx:
        assert queue.hold_many(tx, [first, third, 999_999], "me") == {first, third}
        assert queue.hold_many(tx, [second], "someone else") == set()
        assert queue.hold_many(tx, [], "me") == set()
        queue.complete_many(tx, [first, third], clock.now)
        rows = tx.rows(_OPEN, studio_id=world.studio_a)
    assert [(row.id, row.completed_at is not None) for row in rows] == [
        (first, True),
        (second, False),
        (third, True),
    ]


def test_deferred_statements_run_at_the_end_in_order_and_feed_their_followers(
    db: Database, world: World, clock: FixedClock
) -> None:
    with db.transaction() as tx:
        hook = webhooks.create(tx, world.studio_a, WebhookCreate(url="https://example.org/h"), now=clock.now)
    ids: dict[str, int] = {}
    with db.transaction() as tx:
        repository = WebhooksRepository(tx, world.studio_a)
        for number in range(3):
            event_uuid = f"00000000-0000-0000-0000-00000000000{number}"
            repository.add_delivery_later(
                hook.webhookId, event_uuid=event_uuid, event_type="PING", entity_id=number, content=None,
                occurred_at=clock.now, now=clock.now,
                then=lambda delivery_id, event_uuid=event_uuid: ids.__setitem__(event_uuid, delivery_id),
            )  # fmt: skip
        # Not written yet: nothing deferred is visible before the unit of work ends.
        assert tx.scalar(_DELIVERY_OF, studio_id=world.studio_a, event_uuid=event_uuid) is None
    assert len(ids) == 3
    with db.read() as tx:
        for event_uuid, delivery_id in ids.items():
            assert tx.scalar(_DELIVERY_OF, studio_id=world.studio_a, event_uuid=event_uuid) == delivery_id


def test_deferred_statements_of_a_failed_unit_of_work_are_never_sent(
    db: Database, world: World, clock: FixedClock
) -> None:
    def fails() -> None:
        with db.transaction() as tx:
            queue.add(tx, kind=EVENT_KIND, studio_id=world.studio_a, event_type="PING", entity_id=1,
                      event_uuid="11111111-1111-1111-1111-111111111111", now=clock.now, content=None,
                      later=True)  # fmt: skip
            raise RuntimeError("the unit of work fails")

    with pytest.raises(RuntimeError):
        fails()
    with db.read() as tx:
        assert tx.rows(_OPEN, studio_id=world.studio_a) == []


class _OneBadRecorder:
    """Every item succeeds, except that the recorder of customer 2's event raises."""

    async def perform(self, item: ClaimedItem, now: datetime) -> Recorder:
        def record(tx: Tx, attempt: AttemptInfo) -> Outcome:
            if item.entity_id == 2:
                raise ValueError("recorder exploded")
            return Outcome()

        return record

    def failed(self, tx: Tx, item: ClaimedItem, attempt: AttemptInfo, error: str) -> None:
        """The outbox row says it all."""

    def close(self) -> None:
        """Nothing held."""


def test_one_recorder_that_raises_does_not_undo_the_others(
    db: Database, world: World, clock: FixedClock
) -> None:
    with db.transaction() as tx:
        for customer in (1, 2, 3):
            enqueue(tx, studio_id=world.studio_a, event_type=EventType.COMMUNICATION_CREATED,
                    entity_id=customer, now=clock.now)  # fmt: skip
    worker = Worker(db, {EVENT_KIND: _OneBadRecorder()}, WorkerConfig(retry_schedule=(60,)), clock=clock)
    try:
        assert worker.drain() == 3
    finally:
        worker.close()
    with db.read() as tx:
        rows = tx.rows(_OPEN, studio_id=world.studio_a)
    assert [(row.completed_at is not None, row.last_error) for row in rows] == [
        (True, None),
        (False, "ValueError: recorder exploded"),
        (True, None),
    ]
