"""Database faults as application errors, for every entry point (API, operator API, pages).

``db.errors`` says what went wrong; this turns it into what the client is told: 503
``SERVICE_UNAVAILABLE`` with ``Retry-After`` while the database cannot be reached, 409
``CONCURRENT_MODIFICATION`` when another request won a race, 400 for a value the database refused.
"""

from __future__ import annotations

import logging
import threading
import time

from studio_comms.core import metrics
from studio_comms.core.errors import AppError, ConcurrentModification, ServiceUnavailable, ValueNotStorable
from studio_comms.db import errors

log = logging.getLogger("studio_comms.database")


_SETTLED_SECONDS = 1.0


class Outage:
    """The database being away, told once: a warning when the first request fails, one per
    ``interval`` while it lasts (with how many requests failed since), and one line when requests
    succeed again. Without it, every failing request logged a warning (361 in a 6-s outage)."""

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self.active = False  # read without the lock on every success: a plain attribute
        self._lock = threading.Lock()
        self._began = self._next_warning = 0.0
        self._failed = self._unreported = 0
        self._last_failure = 0.0

    def failed(self, kind: errors.DatabaseUnavailable) -> None:
        now = time.monotonic()
        with self._lock:
            first = not self.active
            if first:
                self.active, self._began, self._failed, self._unreported = True, now, 0, 0
            self._failed += 1
            self._unreported += 1
            self._last_failure = now
            if now < self._next_warning:
                return
            self._next_warning = now + self.interval
            unreported, self._unreported = self._unreported, 0
            lasted = now - self._began
        if first:
            log.warning("database unavailable: %s; answering 503 until it is back", kind)
        else:
            log.warning(
                "database still unavailable after %.0f s: %s (%s requests failed since the last warning)",
                lasted, kind, unreported,
            )  # fmt: skip

    def succeeded(self) -> None:
        now = time.monotonic()
        with self._lock:
            # While connections fail one by one (a restart, a failover), requests on those not yet
            # cut still succeed: back only once nothing failed for a moment.
            if not self.active or now - self._last_failure < _SETTLED_SECONDS:
                return
            self.active, self._next_warning = False, 0.0
            lasted, failed = self._last_failure - self._began, self._failed
        log.warning("database available again after %.1f s; %s requests failed meanwhile", lasted, failed)


OUTAGE = Outage()


def as_app_error(error: BaseException) -> AppError | None:
    """The error to answer with, or None when ``error`` is no database fault (a bug: 500)."""
    kind = errors.translate(error)
    # The message is faults.describe(): class, SQLSTATE, constraint; never a value.
    if isinstance(kind, errors.DatabaseUnavailable):
        metrics.count_database_error("unavailable")
        OUTAGE.failed(kind)
        return ServiceUnavailable()
    if isinstance(kind, errors.ConstraintViolation):
        metrics.count_database_error("conflict")
        log.warning("database conflict, the request may be retried: %s", kind)
        return ConcurrentModification()
    if isinstance(kind, errors.ValueRefused):
        metrics.count_database_error("value_refused")
        log.warning("database refused a value: %s", kind)
        return ValueNotStorable()
    return None
