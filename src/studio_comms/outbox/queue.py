"""The outbox as a work queue: claim with a lease, hold the lease while recording, fail, give up.

Each function runs inside a transaction its caller (the worker, an entry point) commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from studio_comms.outbox.models import OutboxItem


@dataclass(frozen=True, slots=True)
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


def _claimable(now: datetime) -> Any:
    return (
        OutboxItem.completed_at.is_(None),
        OutboxItem.available_at <= now,
        or_(OutboxItem.lease_expires_at.is_(None), OutboxItem.lease_expires_at <= now),
    )


def claim(
    session: Session, *, owner: str, now: datetime, lease_until: datetime, limit: int
) -> list[ClaimedItem]:
    """Lease up to ``limit`` due items, oldest first, counting the attempt.

    One statement on both databases. On PostgreSQL the inner SELECT takes ``FOR UPDATE SKIP
    LOCKED``, so concurrent workers claim disjoint items without waiting for each other; SQLite
    has no row locks (SQLAlchemy leaves the clause out) and serialises writers with
    ``BEGIN IMMEDIATE`` instead. An expired lease (a worker that died) is claimable again.
    """
    due = (
        select(OutboxItem.id)
        .where(*_claimable(now))
        .order_by(OutboxItem.available_at, OutboxItem.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    statement = (
        update(OutboxItem)
        .where(OutboxItem.id.in_(due))
        .values(lease_owner=owner, lease_expires_at=lease_until, attempts=OutboxItem.attempts + 1)
        .returning(
            OutboxItem.id,
            OutboxItem.kind,
            OutboxItem.studio_id,
            OutboxItem.event_uuid,
            OutboxItem.event_type,
            OutboxItem.entity_id,
            OutboxItem.content,
            OutboxItem.occurred_at,
            OutboxItem.available_at,
            OutboxItem.attempts,
        )
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(statement).all()
    items = [ClaimedItem(**row._asdict()) for row in rows]
    return sorted(items, key=lambda item: (item.available_at, item.id))


def any_due(session: Session, *, now: datetime) -> bool:
    """A read: an idle SQLite worker then does not take the write lock twice a second."""
    return session.scalar(select(OutboxItem.id).where(*_claimable(now)).limit(1)) is not None


def hold(session: Session, item_id: int, owner: str) -> OutboxItem | None:
    """The item, locked, if ``owner`` still holds its lease; None when it was taken over or finished.

    A worker records an outcome only under its lease, so a worker that outlived its lease cannot
    overwrite what the new holder recorded.
    """
    return session.scalars(
        select(OutboxItem)
        .where(OutboxItem.id == item_id, OutboxItem.lease_owner == owner, OutboxItem.completed_at.is_(None))
        .with_for_update()
    ).one_or_none()


def complete(item: OutboxItem, now: datetime) -> None:
    item.completed_at = now
    item.lease_owner = None
    item.lease_expires_at = None
    item.last_error = None


def defer(item: OutboxItem, *, until: datetime) -> None:
    """Put the item back untried: its claim did not count as an attempt."""
    item.attempts -= 1
    item.available_at = until
    item.lease_owner = None
    item.lease_expires_at = None


def fail(item: OutboxItem, error: str, *, retry_at: datetime | None, now: datetime) -> None:
    """Schedule the next attempt, or give up (``retry_at`` None): the item is dead."""
    item.last_error = error[:2000]
    item.lease_owner = None
    item.lease_expires_at = None
    if retry_at is None:
        item.completed_at = now
        item.dead_at = now
    else:
        item.available_at = retry_at


def _due_again(now: datetime) -> dict[str, Any]:
    """A finished item made new: due now, a fresh retry schedule, no lease."""
    return {
        "completed_at": None,
        "dead_at": None,
        "attempts": 0,
        "available_at": now,
        "last_error": None,
        "lease_owner": None,
        "lease_expires_at": None,
    }


def revive(session: Session, *, kind: str, entity_id: int, now: datetime) -> bool:
    """Make the finished item of ``kind`` for ``entity_id`` due again with a fresh schedule.

    Reusing the row (instead of adding one) keeps one queue entry per delivery, so an operator's
    ``retry-dead`` can never revive a second copy of something already sent again.
    """
    revived: CursorResult[Any] = session.execute(  # type: ignore[assignment]  # UPDATE gives a CursorResult
        update(OutboxItem)
        .where(
            OutboxItem.kind == kind,
            OutboxItem.entity_id == entity_id,
            OutboxItem.completed_at.is_not(None),
        )
        .values(**_due_again(now))
        .execution_options(synchronize_session=False)
    )
    return revived.rowcount > 0


def retry_dead(session: Session, *, now: datetime, kind: str | None = None) -> list[tuple[str, int]]:
    """Make dead items due again with a fresh schedule; returns their (kind, entity_id)."""
    conditions: list[ColumnElement[bool]] = [OutboxItem.dead_at.is_not(None)]
    if kind is not None:
        conditions.append(OutboxItem.kind == kind)
    revived = session.execute(
        update(OutboxItem)
        .where(*conditions)
        .values(**_due_again(now))
        .returning(OutboxItem.kind, OutboxItem.entity_id)
        .execution_options(synchronize_session=False)
    ).all()
    return [(row.kind, row.entity_id) for row in revived]


def purge_done(session: Session, *, before: datetime) -> int:
    """Delete items that finished successfully before ``before``; returns how many.

    Dead items stay (an operator may revive them); webhook deliveries keep their own log rows.
    """
    deleted: CursorResult[Any] = session.execute(  # type: ignore[assignment]  # DELETE gives a CursorResult
        delete(OutboxItem)
        .where(OutboxItem.completed_at < before, OutboxItem.dead_at.is_(None))
        .execution_options(synchronize_session=False)
    )
    return deleted.rowcount
