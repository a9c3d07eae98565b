"""Per API key and endpoint rate limits with the ``limits`` library.

In memory by default (one process); shared through Redis when ``STUDIO_COMMS_REDIS_URL`` is set,
so several API processes count together.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from studio_comms.core.errors import RateLimited


class RateLimiter:
    def __init__(self, rate: str, storage_url: str | None) -> None:
        self.item: RateLimitItem = parse(rate)
        self.storage = storage_from_string(storage_url or "memory://")
        # Fixed window, as Sport Alliance: once over the limit, wait for the next window.
        self.strategy = FixedWindowRateLimiter(self.storage)

    def hit(self, key_id: int, endpoint: str) -> None:
        identifiers = (str(key_id), endpoint)
        if self.strategy.hit(self.item, *identifiers):
            return
        reset_at, _remaining = self.strategy.get_window_stats(self.item, *identifiers)
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise RateLimited(headers={"Retry-After": str(retry_after)}, retryAfter=retry_after)

    def reset(self) -> None:
        self.storage.reset()
