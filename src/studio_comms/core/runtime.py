"""What a running app holds: settings, database, rate limiter, clock (``app.state.runtime``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

from studio_comms.core.clock import utcnow
from studio_comms.core.ratelimit import RateLimiter
from studio_comms.db.database import Database
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

    async def in_db_thread(self, function: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(function, *args, limiter=self.db_threads)
