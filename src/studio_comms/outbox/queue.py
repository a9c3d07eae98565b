"""The outbox as a work queue: add, claim with a lease, hold the lease while recording, finish.

The worker's queue serves every studio, so its statements are the allowed cross-studio readers.
Each function runs inside a transaction its caller (the worker, an entry point) commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from studio_comms.db.sql import Sql, chunks, numbered, repeated
from studio_comms.db.tx import Tx

_QUEUE = "the worker's queue serves every studio"

_ADD = Sql(
    """
    INSERT INTO outbox (kind, studio_id, event_uuid, event_type, entity_id, content, occurred_at,
                        available_at, attempts)
    VALUES (:kind, :studio_id, :event_uuid, :event_type, :entity_id, :content, :now, :now, 0)
    """
)
# Items of one kind for many entities at once (a bulk request's messages): one statement per chunk
# (up to 23 rows: 50 parameters, what psycopg still caches).
_ROWS_PER_ADD = (23, 5, 1)
_ADD_ROW = "(:kind, :studio_id, :event_uuid_{i}, :event_type, :entity_id_{i}, NULL, :now, :now, 0)"
_ADD_ROWS = {
    size: Sql(
        f"""
        INSERT INTO outbox (kind, studio_id, event_uuid, event_type, entity_id, content, occurred_at,
                            available_at, attempts)
        VALUES {repeated(_ADD_ROW, size)}
        """
    )
    for size in _ROWS_PER_ADD
}
# Workers LISTEN on this channel; PostgreSQL delivers the notification when the writer commits.
_NOTIFY = Sql("SELECT pg_notify('studio_comms_outbox', '')")
_DUE = """
    completed_at IS NULL AND available_at <= :now
    AND (lease_expires_at IS NULL OR lease_expires_at <= :now)
"""


@dataclass(slots=True)
class ClaimedItem:
    id: int
    kind: str
    studio_id: int
    event_uuid: str
    event_type: str
    entity_id: int
    content: dict[str, Any] | None
    occurred_at: datetime
    available_at: datetime
    # Including the one just claimed: 1 on the first try.
    attempts: int


# One statement on both databases. On PostgreSQL the inner SELECT skips rows other workers hold,
# so concurrent workers claim disjoint items without waiting for each other; SQLite has no row
# locks (the clause is left out) and serialises writers with BEGIN IMMEDIATE instead.
_CLAIM = Sql(
    f"""
    UPDATE outbox SET lease_owner = :owner, lease_expires_at = :lease_until, attempts = attempts + 1
    WHERE id IN (
      SELECT id FROM outbox WHERE {_DUE} ORDER BY available_at, id LIMIT :limit FOR UPDATE SKIP LOCKED
    )
    RETURNING id, kind, studio_id, event_uuid, event_type, entity_id, content, occurred_at,
              available_at, attempts
    """,
    row=ClaimedItem,
    cross_studio=_QUEUE,
)
# The same, for the two lanes of a worker: the items of one kind whose handler blocks a thread
# (claimed only up to the threads free), and every other kind (at most MAX_BLOCKING_KINDS left out;
# an unused slot holds a name no kind has).
_CLAIM_OF_KIND = Sql(
    f"""
    UPDATE outbox SET lease_owner = :owner, lease_expires_at = :lease_until, attempts = attempts + 1
    WHERE id IN (
      SELECT id FROM outbox WHERE {_DUE} AND kind = :kind
      ORDER BY available_at, id LIMIT :limit FOR UPDATE SKIP LOCKED
    )
    RETURNING id, kind, studio_id, event_uuid, event_type, entity_id, content, occurred_at,
              available_at, attempts
    """,
    row=ClaimedItem,
    cross_studio=_QUEUE,
)
MAX_BLOCKING_KINDS = 4
_NO_KIND = ""
_CLAIM_EXCEPT = Sql(
    f"""
    UPDATE outbox SET lease_owner = :owner, lease_expires_at = :lease_until, attempts = attempts + 1
    WHERE id IN (
      SELECT id FROM outbox WHERE {_DUE} AND kind NOT IN ({repeated(":except_{i}", MAX_BLOCKING_KINDS)})
      ORDER BY available_at, id LIMIT :limit FOR UPDATE SKIP LOCKED
    )
    RETURNING id, kind, studio_id, event_uuid, event_type, entity_id, content, occurred_at,
              available_at, attempts
    """,
    row=ClaimedItem,
    cross_studio=_QUEUE,
)
_ANY_DUE = Sql(f"SELECT id FROM outbox WHERE {_DUE} LIMIT 1", cross_studio=_QUEUE)
_HOLD = Sql(
    """
    SELECT id FROM outbox WHERE id = :id AND lease_owner = :owner AND completed_at IS NULL FOR UPDATE
    """,
    cross_studio=_QUEUE,
)


@dataclass(slots=True)
class _Held:
    id: int


# A batch's outcomes are recorded together: one statement locks the items still held, one
# completes those that succeeded.
_HOLD_MANY = Sql(
    """
    SELECT id FROM outbox
    WHERE id = ANY(:ids) AND lease_owner = :owner AND completed_at IS NULL FOR UPDATE
    """,
    row=_Held,
    cross_studio=_QUEUE,
)
_COMPLETE_MANY = Sql(
    """
    UPDATE outbox SET completed_at = :now, lease_owner = NULL, lease_expires_at = NULL, last_error = NULL
    WHERE id = ANY(:ids)
    """,
    cross_studio=_QUEUE,
)
# Put back untried: its claim does not count as an attempt.
_DEFER = Sql(
    """
    UPDATE outbox SET attempts = attempts - 1, available_at = :until, lease_owner = NULL,
                      lease_expires_at = NULL
    WHERE id = :id
    """,
    cross_studio=_QUEUE,
)
_RETRY_LATER = Sql(
    """
    UPDATE outbox SET last_error = :error, available_at = :retry_at, lease_owner = NULL,
                      lease_expires_at = NULL
    WHERE id = :id
    """,
    cross_studio=_QUEUE,
)
_DEAD = Sql(
    """
    UPDATE outbox SET last_error = :error, completed_at = :now, dead_at = :now, lease_owner = NULL,
                      lease_expires_at = NULL
    WHERE id = :id
    """,
    cross_studio=_QUEUE,
)
# A finished item made new: due now, a fresh retry schedule, no lease.
_DUE_AGAIN = """
    completed_at = NULL, dead_at = NULL, attempts = 0, available_at = :now, last_error = NULL,
    lease_owner = NULL, lease_expires_at = NULL
"""
_REVIVE = Sql(
    f"""
    UPDATE outbox SET {_DUE_AGAIN}
    WHERE kind = :kind AND entity_id = :entity_id AND completed_at IS NOT NULL
    """,
    cross_studio=_QUEUE,
)


@dataclass(slots=True)
class Revived:
    kind: str
    studio_id: int
    entity_id: int


_REVIVED = "RETURNING kind, studio_id, entity_id"
_RETRY_DEAD = Sql(
    f"UPDATE outbox SET {_DUE_AGAIN} WHERE dead_at IS NOT NULL {_REVIVED}",
    row=Revived,
    cross_studio="operators revive dead items of every studio",
)
_RETRY_DEAD_OF_KIND = Sql(
    f"UPDATE outbox SET {_DUE_AGAIN} WHERE dead_at IS NOT NULL AND kind = :kind {_REVIVED}",
    row=Revived,
    cross_studio="operators revive dead items of every studio",
)
_PURGE_DONE = Sql(
    "DELETE FROM outbox WHERE completed_at < :before AND dead_at IS NULL",
    cross_studio="operators purge finished items of every studio",
)
MAX_ERROR_LENGTH = 2000


def add(
    tx: Tx,
    *,
    kind: str,
    studio_id: int,
    event_uuid: str,
    event_type: str,
    entity_id: int,
    now: datetime,
    content: dict[str, Any] | None,
    later: bool = False,
) -> None:
    """Append an item in the caller's transaction and wake listening workers (once per transaction).
    ``later``: the row is written when the transaction ends, with the others (``Tx.later``)."""
    (tx.later if later else tx.run)(
        _ADD,
        kind=kind,
        studio_id=studio_id,
        event_uuid=event_uuid,
        event_type=event_type,
        entity_id=entity_id,
        content=content,
        now=now,
    )
    # Once: PostgreSQL folds repeats into one notification anyway, and each would cost a round trip.
    if tx.dialect == "postgresql" and tx.once("outbox.notify"):
        tx.run(_NOTIFY)


def claim(tx: Tx, *, owner: str, now: datetime, lease_until: datetime, limit: int) -> list[ClaimedItem]:
    """Lease up to ``limit`` due items, oldest first, counting the attempt. An expired lease (a
    worker that died) is claimable again."""
    items = tx.rows(_CLAIM, owner=owner, now=now, lease_until=lease_until, limit=limit)
    return sorted(items, key=lambda item: (item.available_at, item.id))


def claim_of_kind(
    tx: Tx, *, kind: str, owner: str, now: datetime, lease_until: datetime, limit: int
) -> list[ClaimedItem]:
    """:func:`claim` for the items of one kind only."""
    items = tx.rows(_CLAIM_OF_KIND, kind=kind, owner=owner, now=now, lease_until=lease_until, limit=limit)
    return sorted(items, key=lambda item: (item.available_at, item.id))


def claim_except(
    tx: Tx, *, kinds: Sequence[str], owner: str, now: datetime, lease_until: datetime, limit: int
) -> list[ClaimedItem]:
    """:func:`claim` for the items of any kind but ``kinds`` (at most ``MAX_BLOCKING_KINDS``)."""
    if len(kinds) > MAX_BLOCKING_KINDS:
        raise ValueError(f"at most {MAX_BLOCKING_KINDS} kinds can be left out of a claim")
    padded = [*kinds, *[_NO_KIND] * (MAX_BLOCKING_KINDS - len(kinds))]
    left_out = {f"except_{i}": kind for i, kind in enumerate(padded)}
    items = tx.rows(_CLAIM_EXCEPT, owner=owner, now=now, lease_until=lease_until, limit=limit, **left_out)
    return sorted(items, key=lambda item: (item.available_at, item.id))


def any_due(tx: Tx, *, now: datetime) -> bool:
    """A read: an idle SQLite worker then does not take the write lock twice a second."""
    return tx.scalar(_ANY_DUE, now=now) is not None


def hold(tx: Tx, item_id: int, owner: str) -> bool:
    """Lock the item if ``owner`` still holds its lease; False when it was taken over or finished.

    A worker records an outcome only under its lease, so a worker that outlived its lease cannot
    overwrite what the new holder recorded.
    """
    return tx.scalar(_HOLD, id=item_id, owner=owner) is not None


def hold_many(tx: Tx, item_ids: list[int], owner: str) -> set[int]:
    """:func:`hold` for a batch: the ids among ``item_ids`` that ``owner`` still holds, locked."""
    return {row.id for row in tx.rows(_HOLD_MANY, ids=item_ids, owner=owner)}


def complete_many(tx: Tx, item_ids: list[int], now: datetime) -> None:
    if item_ids:
        tx.run(_COMPLETE_MANY, ids=item_ids, now=now)


def defer(tx: Tx, item_id: int, *, until: datetime) -> None:
    tx.run(_DEFER, id=item_id, until=until)


def fail(tx: Tx, item_id: int, error: str, *, retry_at: datetime | None, now: datetime) -> None:
    """Schedule the next attempt, or give up (``retry_at`` None): the item is dead."""
    if retry_at is None:
        tx.run(_DEAD, id=item_id, error=error[:MAX_ERROR_LENGTH], now=now)
    else:
        tx.run(_RETRY_LATER, id=item_id, error=error[:MAX_ERROR_LENGTH], retry_at=retry_at)


def revive(tx: Tx, *, kind: str, entity_id: int, now: datetime) -> bool:
    """Make the finished item of ``kind`` for ``entity_id`` due again with a fresh schedule.

    Reusing the row (instead of adding one) keeps one queue entry per delivery, so an operator's
    ``retry-dead`` can never revive a second copy of something already sent again.
    """
    return tx.run(_REVIVE, kind=kind, entity_id=entity_id, now=now) > 0


def retry_dead(tx: Tx, *, now: datetime, kind: str | None = None) -> list[Revived]:
    """Make dead items due again with a fresh schedule; returns what they were for."""
    return tx.rows(_RETRY_DEAD, now=now) if kind is None else tx.rows(_RETRY_DEAD_OF_KIND, now=now, kind=kind)


def purge_done(tx: Tx, *, before: datetime) -> int:
    """Delete items that finished successfully before ``before``; returns how many.

    Dead items stay (an operator may revive them); webhook deliveries keep their own log rows.
    """
    return tx.run(_PURGE_DONE, before=before)


def add_many(
    tx: Tx, *, kind: str, studio_id: int, event_type: str, entity_ids: Sequence[int], now: datetime
) -> None:
    """Items of one kind without content, one per entity, in multi-row INSERTs; wakes workers once."""
    for size, piece in chunks(entity_ids, _ROWS_PER_ADD):
        rows = [{"event_uuid": str(uuid.uuid4()), "entity_id": entity_id} for entity_id in piece]
        tx.run(
            _ADD_ROWS[size], kind=kind, studio_id=studio_id, event_type=event_type, now=now, **numbered(rows)
        )
    if entity_ids and tx.dialect == "postgresql" and tx.once("outbox.notify"):
        tx.run(_NOTIFY)
