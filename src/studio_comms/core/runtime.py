"""What a running app holds: settings, database, rate limiter, clock (``app.state.runtime``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from studio_comms.core.clock import utcnow
from studio_comms.core.ratelimit import RateLimiter
from studio_comms.db.session import Database
from studio_comms.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    database: Database
    limiter: RateLimiter
    clock: Callable[[], datetime] = field(default=utcnow)
