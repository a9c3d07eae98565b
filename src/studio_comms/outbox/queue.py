"""The outbox as a work queue: claim with a lease, hold the lease while recording, fail, give up.

Each function runs inside a transaction its caller (the worker, an entry point) commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

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
    items = [ClaimedItem(*row) for row in rows]
    return sorted(items, key=lambda item: (item.available_at, item.id))


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
