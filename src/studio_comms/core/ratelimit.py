"""Per API key and endpoint rate limits with the ``limits`` library.

In memory by default (one process): counting is a dictionary update, done where the request
already runs. Shared through Redis when ``STUDIO_COMMS_REDIS_URL`` is set, so several API
processes count together: then each count is a network round trip, made on a thread of its own
(never one that holds a database connection), with short timeouts and a circuit breaker, so a
Redis that hangs costs one timeout and then nothing until it is tried again.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import NoReturn

import anyio.to_thread
from anyio import CapacityLimiter
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from studio_comms.core import metrics
from studio_comms.core.errors import RateLimited

log = logging.getLogger("studio_comms.ratelimit")


class CircuitBreaker:
    """Fail open: after a failure nothing is tried for ``retry_seconds``; then one caller probes.

    Thread-safe. One warning per interval however many requests fail together.
    """

    def __init__(self, retry_seconds: float, what: str) -> None:
        self.retry_seconds = retry_seconds
        self.what = what
        self._lock = threading.Lock()
        self._open = False
        self._closed_again_at = 0.0
        self._quiet_until = 0.0

    def allows_attempt(self) -> bool:
        now = time.monotonic()
        with self._lock:
            if not self._open:
                return True
            if now < self._closed_again_at:
                return False
            # This caller probes; the others keep failing open until the probe has answered.
            self._closed_again_at = now + self.retry_seconds
            return True

    def failed(self, error: Exception) -> None:
        now = time.monotonic()
        with self._lock:
            self._open = True
            self._closed_again_at = now + self.retry_seconds
            warn = now >= self._quiet_until
            if warn:
                self._quiet_until = now + self.retry_seconds
        if warn:
            log.warning(
                "%s unavailable (%s: %s); requests are let through uncounted, next try in %.0f s",
                self.what, type(error).__name__, error, self.retry_seconds,
            )  # fmt: skip

    def succeeded(self) -> None:
        if not self._open:  # the common case, without taking the lock
            return
        with self._lock:
            was_open, self._open = self._open, False
        if was_open:
            log.warning("%s available again; requests are counted", self.what)


class LocalWindows:
    """Fixed windows counted in this process: the in-memory limiter's whole job, without the
    generic storage layers of ``limits`` (a fifth of a GET's CPU went there, by py-spy).

    A window starts with its first request and lasts the item's period, as ``limits``' memory
    storage counts. Windows that ended are swept once the table grows, so idle keys cost nothing.
    """

    _SWEEP_AT = 10_000

    def __init__(self, item: RateLimitItem, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.amount = item.amount
        self.period = float(item.get_expiry())
        self._windows: dict[tuple[int, str], list[float]] = {}
        self._lock = threading.Lock()  # API threads (PostgreSQL) and the event loop count together

    def hit(self, key_id: int, endpoint: str) -> float | None:
        """Counts one request; None when allowed, else the seconds until its window ends."""
        now = self.clock()
        with self._lock:
            window = self._windows.get((key_id, endpoint))
            if window is None or now >= window[0]:
                if len(self._windows) >= self._SWEEP_AT:
                    self._sweep(now)
                self._windows[(key_id, endpoint)] = [now + self.period, 1.0]
                return None if self.amount >= 1 else self.period
            window[1] += 1
            if window[1] <= self.amount:
                return None
            return window[0] - now

    def _sweep(self, now: float) -> None:
        self._windows = {key: window for key, window in self._windows.items() if window[0] > now}


class RateLimiter:
    def __init__(
        self,
        rate: str,
        storage_url: str | None,
        *,
        key_prefix: str = "studio-comms",
        timeout_seconds: float = 0.25,
        retry_seconds: float = 15.0,
    ) -> None:
        self.item: RateLimitItem = parse(rate)
        # Fixed windows, as Sport Alliance: once over the limit, wait for the next window. In this
        # process (LocalWindows) or shared through Redis, where a count is a network round trip
        # made off the request's database thread.
        self.local: LocalWindows | None = None
        self.strategy: FixedWindowRateLimiter | None = None
        if storage_url is None:
            self.local = LocalWindows(self.item)
        else:
            storage = storage_from_string(
                storage_url,
                key_prefix=key_prefix,
                socket_timeout=timeout_seconds,
                socket_connect_timeout=timeout_seconds,
            )
            self.strategy = FixedWindowRateLimiter(storage)
        self.shared = self.strategy is not None
        self.breaker = CircuitBreaker(retry_seconds, "rate limit storage (Redis)")
        self._threads = CapacityLimiter(8)

    def hit(self, key_id: int, endpoint: str) -> None:
        """Count a request; raises :class:`RateLimited` when it is over the limit."""
        if self.strategy is None:
            assert self.local is not None
            wait = self.local.hit(key_id, endpoint)
            if wait is not None:
                _refuse(wait)
            return
        identifiers = (str(key_id), endpoint)
        if not self.breaker.allows_attempt():
            return
        try:
            allowed = self.strategy.hit(self.item, *identifiers)
            self.breaker.succeeded()
            if allowed:
                return
            reset_at, _remaining = self.strategy.get_window_stats(self.item, *identifiers)
        except Exception as error:
            # An unreachable Redis must not take the API down with it: let the request through.
            self.breaker.failed(error)
            return
        _refuse(reset_at - time.time())

    async def hit_off_thread(self, key_id: int, endpoint: str) -> None:
        """:meth:`hit` on a thread of the limiter's own, not one of the database's."""
        await anyio.to_thread.run_sync(self.hit, key_id, endpoint, limiter=self._threads)


def _refuse(seconds_left: float) -> NoReturn:
    retry_after = max(1, math.ceil(seconds_left))
    metrics.count_rate_limited()
    raise RateLimited(headers={"Retry-After": str(retry_after)}, retryAfter=retry_after)
