"""The worker's periodic log line: throughput, failures and the worst lag seen."""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger("studio_comms.worker")


class WorkerStats:
    """Counts for the periodic log line: throughput, failures and the worst lag seen."""

    INTERVAL = 10.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.done = self.failed = self.dead = 0
        self.max_lag = 0.0
        self._since = time.monotonic()

    def lag(self, seconds: float) -> None:
        with self._lock:
            self.max_lag = max(self.max_lag, seconds)

    def count(self, ok: bool, *, dead: bool) -> None:
        with self._lock:
            if ok:
                self.done += 1
            else:
                self.failed += 1
                self.dead += dead

    def maybe_log(self, *, force: bool = False) -> None:
        elapsed = time.monotonic() - self._since
        if not force and elapsed < self.INTERVAL:
            return
        with self._lock:
            done, failed, dead, max_lag = self.done, self.failed, self.dead, self.max_lag
            self.done = self.failed = self.dead = 0
            self.max_lag = 0.0
            self._since = time.monotonic()
        if done or failed or force:
            log.info(
                "outbox: %s done, %s failed (%s dead) in %.0f s; max lag %.1f s",
                done, failed, dead, elapsed, max_lag,
            )  # fmt: skip
