"""Waking workers when rows arrive: PostgreSQL LISTEN/NOTIFY, else the poll interval.

The notification is sent inside the writing transaction, and PostgreSQL delivers it only when
that transaction commits, so a woken worker always finds the row.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

import psycopg
from sqlalchemy.engine import make_url

# The channel ``outbox.queue.add`` notifies.
CHANNEL = "studio_comms_outbox"
log = logging.getLogger("studio_comms.worker")


class Waker(Protocol):
    def wait(self, timeout: float) -> None: ...

    def close(self) -> None: ...


class PostgresWaker:
    """A connection of its own, listening; reconnects lazily when it breaks."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None

    def _listening(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(self._conninfo, autocommit=True)
            self._connection.execute(f"LISTEN {CHANNEL}")
        return self._connection

    def wait(self, timeout: float) -> None:
        try:
            for _ in self._listening().notifies(timeout=timeout, stop_after=1):
                pass
        except psycopg.Error:
            log.warning("outbox wake-up connection failed; polling until it is back", exc_info=True)
            self.close()
            time.sleep(timeout)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def waker_for(database_url: str) -> Waker | None:
    return PostgresWaker(database_url) if database_url.startswith("postgresql") else None
