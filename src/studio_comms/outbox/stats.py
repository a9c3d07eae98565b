"""What the queue holds, for operators: ``studio-comms outbox stats``, the worker's lag warning
and ``/readyz?verbose``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prometheus_client.core import GaugeMetricFamily

from studio_comms.db.sql import Sql
from studio_comms.db.tx import Tx
from studio_comms.outbox.service import EVENT_KIND, MESSAGE_KIND, WEBHOOK_KIND

KINDS = (EVENT_KIND, MESSAGE_KIND, WEBHOOK_KIND)


@dataclass(frozen=True, slots=True)
class KindStats:
    kind: str
    pending: int
    leased: int
    dead: int
    done: int
    # Of the oldest item that is due and not leased: how far the workers are behind.
    oldest_due_seconds: float | None


@dataclass(slots=True)
class _KindRow:
    kind: str
    pending: int
    leased: int
    dead: int
    done: int
    oldest_due: datetime | None


_STATS = Sql(
    """
    SELECT kind,
      SUM(CASE WHEN completed_at IS NULL AND (lease_expires_at IS NULL OR lease_expires_at <= :now)
          THEN 1 ELSE 0 END) AS pending,
      SUM(CASE WHEN completed_at IS NULL AND lease_expires_at > :now THEN 1 ELSE 0 END) AS leased,
      SUM(CASE WHEN dead_at IS NOT NULL THEN 1 ELSE 0 END) AS dead,
      SUM(CASE WHEN completed_at IS NOT NULL AND dead_at IS NULL THEN 1 ELSE 0 END) AS done,
      MIN(CASE WHEN completed_at IS NULL AND available_at <= :now
               AND (lease_expires_at IS NULL OR lease_expires_at <= :now) THEN available_at END) AS oldest_due
    FROM outbox GROUP BY kind ORDER BY kind
    """,
    row=_KindRow,
    cross_studio="operators see the whole queue",
)


@dataclass(slots=True)
class _BacklogRow:
    due: int
    oldest_due: datetime | None


_BACKLOG = Sql(
    """
    SELECT COUNT(*) AS due, MIN(available_at) AS oldest_due FROM outbox
    WHERE completed_at IS NULL AND available_at <= :now
      AND (lease_expires_at IS NULL OR lease_expires_at <= :now)
    """,
    row=_BacklogRow,
    cross_studio="operators see the whole queue",
)


@dataclass(slots=True)
class _KindBacklogRow:
    kind: str
    due: int
    oldest_due: datetime | None


_BACKLOG_BY_KIND = Sql(
    """
    SELECT kind, COUNT(*) AS due, MIN(available_at) AS oldest_due FROM outbox
    WHERE completed_at IS NULL AND available_at <= :now
      AND (lease_expires_at IS NULL OR lease_expires_at <= :now)
    GROUP BY kind ORDER BY kind
    """,
    row=_KindBacklogRow,
    cross_studio="operators see the whole queue",
)


def _seconds_since(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else (now - moment).total_seconds()


def stats(tx: Tx, *, now: datetime) -> list[KindStats]:
    return [
        KindStats(
            kind=row.kind,
            pending=int(row.pending or 0),
            leased=int(row.leased or 0),
            dead=int(row.dead or 0),
            done=int(row.done or 0),
            oldest_due_seconds=_seconds_since(row.oldest_due, now),
        )
        for row in tx.rows(_STATS, now=now)
    ]


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


def backlog(tx: Tx, *, now: datetime) -> Backlog:
    """Cheap enough for every readiness probe: it reads only open items (``ix_outbox_pending``)."""
    row = tx.row(_BACKLOG, now=now)
    if row is None:
        return Backlog(0, None)
    return Backlog(int(row.due or 0), _seconds_since(row.oldest_due, now))


def readiness(tx: Tx, now: datetime, *, warning_seconds: float) -> dict[str, float | int | bool | None]:
    """The outbox part of ``/readyz?verbose``."""
    return backlog(tx, now=now).as_json(warning_seconds=warning_seconds)


def backlog_by_kind(tx: Tx, *, now: datetime) -> dict[str, Backlog]:
    """``backlog`` per kind, for the metrics' gauges (every kind the worker knows, 0 when none is due);
    like ``backlog``, it reads only open items."""
    found = {kind: Backlog(0, None) for kind in KINDS}
    for row in tx.rows(_BACKLOG_BY_KIND, now=now):
        found[row.kind] = Backlog(int(row.due or 0), _seconds_since(row.oldest_due, now))
    return found


def gauges(tx: Tx, now: datetime) -> list[GaugeMetricFamily]:
    """The outbox's families of ``GET /metrics``, read at scrape time: the queue is shared by every
    process, so the database's answer is already the whole picture."""
    due = GaugeMetricFamily(
        "studio_comms_outbox_due_items", "Outbox items due now that no worker holds.", labels=["kind"]
    )
    oldest = GaugeMetricFamily(
        "studio_comms_outbox_oldest_due_seconds",
        "How long the oldest due, unheld outbox item has waited (0 when none is due).",
        labels=["kind"],
    )
    for kind, backlog in backlog_by_kind(tx, now=now).items():
        due.add_metric([kind], backlog.due)
        oldest.add_metric([kind], max(backlog.oldest_due_seconds or 0.0, 0.0))
    return [due, oldest]
