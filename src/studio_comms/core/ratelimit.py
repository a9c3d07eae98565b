"""Per API key and endpoint rate limits with the ``limits`` library.

In memory by default (one process); shared through Redis when ``STUDIO_COMMS_REDIS_URL`` is set,
so several API processes count together.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from studio_comms.core.errors import RateLimited

log = logging.getLogger("studio_comms.ratelimit")


class RateLimiter:
    def __init__(self, rate: str, storage_url: str | None, *, key_prefix: str = "studio-comms") -> None:
        self.item: RateLimitItem = parse(rate)
        if storage_url:
            self.storage = storage_from_string(storage_url, key_prefix=key_prefix, socket_timeout=0.5)
        else:
            self.storage = storage_from_string("memory://")
        # Fixed window, as Sport Alliance: once over the limit, wait for the next window.
        self.strategy = FixedWindowRateLimiter(self.storage)

    def hit(self, key_id: int, endpoint: str) -> None:
        identifiers = (str(key_id), endpoint)
        try:
            allowed = self.strategy.hit(self.item, *identifiers)
        except Exception as error:
            # An unreachable Redis must not take the API down with it: let the request through.
            log.warning("rate limit storage unavailable, request allowed: %s", error)
            return
        if allowed:
            return
        reset_at, _remaining = self.strategy.get_window_stats(self.item, *identifiers)
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise RateLimited(headers={"Retry-After": str(retry_after)}, retryAfter=retry_after)
