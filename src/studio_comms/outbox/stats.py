"""What the queue holds, for operators: ``studio-comms outbox stats``, the worker's lag warning
and ``/readyz?verbose``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from studio_comms.outbox.models import OutboxItem


@dataclass(frozen=True, slots=True)
class KindStats:
    kind: str
    pending: int
    leased: int
    dead: int
    done: int
    # Of the oldest item that is due and not leased: how far the workers are behind.
    oldest_due_seconds: float | None


def stats(session: Session, *, now: datetime) -> list[KindStats]:
    open_ = OutboxItem.completed_at.is_(None)
    leased = and_(open_, OutboxItem.lease_expires_at.is_not(None), OutboxItem.lease_expires_at > now)
    pending = and_(open_, or_(OutboxItem.lease_expires_at.is_(None), OutboxItem.lease_expires_at <= now))
    due = and_(pending, OutboxItem.available_at <= now)

    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.sum(case((condition, 1), else_=0))

    rows = session.execute(
        select(
            OutboxItem.kind,
            count(pending),
            count(leased),
            count(OutboxItem.dead_at.is_not(None)),
            count(and_(OutboxItem.completed_at.is_not(None), OutboxItem.dead_at.is_(None))),
            func.min(case((due, OutboxItem.available_at), else_=None)),
        )
        .group_by(OutboxItem.kind)
        .order_by(OutboxItem.kind)
    ).all()
    result = []
    for kind, n_pending, n_leased, n_dead, n_done, oldest in rows:
        result.append(
            KindStats(
                kind=kind,
                pending=int(n_pending or 0),
                leased=int(n_leased or 0),
                dead=int(n_dead or 0),
                done=int(n_done or 0),
                oldest_due_seconds=(now - oldest).total_seconds() if oldest is not None else None,
            )
        )
    return result


@dataclass(frozen=True, slots=True)
class Backlog:
    """Items due now that no worker holds, and how long the oldest of them has waited."""

    due: int
    oldest_due_seconds: float | None

    def as_json(self, *, warning_seconds: float) -> dict[str, Any]:
        oldest = self.oldest_due_seconds
        return {
            "due": self.due,
            "oldestDueSeconds": None if oldest is None else round(oldest, 3),
            "lagging": oldest is not None and oldest > warning_seconds,
        }


def backlog(session: Session, *, now: datetime) -> Backlog:
    """Cheap enough for every readiness probe: it reads only open items (``ix_outbox_pending``)."""
    unleased = or_(OutboxItem.lease_expires_at.is_(None), OutboxItem.lease_expires_at <= now)
    count, oldest = session.execute(
        select(func.count(), func.min(OutboxItem.available_at)).where(
            OutboxItem.completed_at.is_(None), OutboxItem.available_at <= now, unleased
        )
    ).one()
    return Backlog(int(count or 0), (now - oldest).total_seconds() if oldest is not None else None)


def readiness(
    session: Session, now: datetime, *, warning_seconds: float
) -> dict[str, float | int | bool | None]:
    """The outbox part of ``/readyz?verbose``."""
    return backlog(session, now=now).as_json(warning_seconds=warning_seconds)
