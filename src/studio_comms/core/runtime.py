"""What a running app holds: settings, database, rate limiter, clock (``app.state.runtime``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, NoReturn, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from starlette.types import Scope

from studio_comms.core.clock import utcnow
from studio_comms.core.dbfaults import OUTAGE, as_app_error
from studio_comms.core.errors import AppError
from studio_comms.core.principals import PrincipalCache
from studio_comms.core.ratelimit import RateLimiter
from studio_comms.core.units import runs_on_loop
from studio_comms.db.database import Database, WouldWait
from studio_comms.db.tx import Tx
from studio_comms.settings import Settings

T = TypeVar("T")


@dataclass
class Runtime:
    settings: Settings
    database: Database
    limiter: RateLimiter
    clock: Callable[[], datetime] = field(default=utcnow)
    # Worker threads for database work: as many as the pool has connections (see Settings).
    db_threads: CapacityLimiter = field(default_factory=lambda: CapacityLimiter(8))
    # What `/readyz?verbose` reports besides the database answering, by name (the outbox's lag):
    # each reads in the readiness check's transaction at the given time.
    readiness_details: dict[str, Callable[[Tx, datetime], Any]] = field(default_factory=dict)
    principals: PrincipalCache = field(default_factory=PrincipalCache)
    # Metric families read from the database at scrape time (``GET /metrics``: the outbox's).
    scraped_gauges: list[Callable[[Tx, datetime], Iterable[Any]]] = field(default_factory=list)

    async def in_db_thread(self, function: Callable[..., T], *args: Any) -> T:
        """Runs ``function`` on a database thread; a database fault comes back as an AppError."""
        try:
            result = await anyio.to_thread.run_sync(function, *args, limiter=self.db_threads)
        except Exception as error:
            _reraise_as_answer(error)
        if OUTAGE.active:
            OUTAGE.succeeded()
        return result

    async def unit_of_work(self, scope: Scope, function: Callable[..., T], *args: Any) -> T:
        """Runs ``function(*args, on_loop=…)``: one unit of work of the request ``scope``, opened
        by ``function`` with ``Database.on_loop`` when ``on_loop`` is true, else
        ``Database.transaction``/``read``.

        Where it runs is the route's declaration (``core.units``): a ``Runs.LOOP`` unit runs right
        here on the event loop on SQLite, unless it would wait for a lock (``WouldWait``: nothing
        was committed, nothing of it ran), when it runs again on a database thread, where waiting
        is harmless. Every other unit, and every unit on PostgreSQL, runs on a database thread.
        """
        if self.database.runs_on_loop and runs_on_loop(scope):
            try:
                result = function(*args, on_loop=True)
            except WouldWait:
                pass
            except Exception as error:
                _reraise_as_answer(error)
            else:
                if OUTAGE.active:
                    OUTAGE.succeeded()
                return result
        return await self.in_db_thread(partial(function, on_loop=False), *args)


def _reraise_as_answer(error: Exception) -> NoReturn:
    """Raises a database fault as the AppError it answers; anything else as it is."""
    mapped = None if isinstance(error, AppError) else as_app_error(error)
    if mapped is None:
        raise error
    raise mapped from error
