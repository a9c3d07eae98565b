"""What a running app holds: settings, database, rate limiter, clock (``app.state.runtime``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, NoReturn, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

from studio_comms.core.clock import utcnow
from studio_comms.core.dbfaults import OUTAGE, as_app_error
from studio_comms.core.errors import AppError
from studio_comms.core.principals import PrincipalCache
from studio_comms.core.ratelimit import RateLimiter
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

    async def in_db_thread(self, function: Callable[..., T], *args: Any) -> T:
        """Runs ``function`` on a database thread; a database fault comes back as an AppError."""
        try:
            result = await anyio.to_thread.run_sync(function, *args, limiter=self.db_threads)
        except Exception as error:
            _reraise_as_answer(error)
        if OUTAGE.active:
            OUTAGE.succeeded()
        return result

    async def unit_of_work(self, function: Callable[..., T], *args: Any, quick: bool = False) -> T:
        """Runs ``function(*args, on_loop=…)``: one unit of work, opened by ``function`` with
        ``Database.on_loop`` when ``on_loop`` is true, else ``Database.transaction``/``read``.

        A ``quick`` unit (a few statements on a bounded number of rows, declared so by its
        endpoint) runs right here on the event loop on SQLite, unless it would wait for a lock
        (``WouldWait``: nothing was committed). Every other unit runs on a database thread: one
        that may touch thousands of rows (a bulk send, a long history) must not stall the loop.
        """
        if quick and self.database.runs_on_loop:
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
