"""The outbox worker: claims due items with a lease and runs each one's handler.

A handler does its outside work (an HTTP request) holding no transaction, then hands back a
function that records the result; the worker runs it in the item's own transaction, under the
item's lease, and commits (DESIGN §4 rule 1: one outbox item is an entry point). Any failure is
recorded as a row: attempts, last error and the next attempt's time, or dead after the last.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from studio_comms.core.clock import utcnow
from studio_comms.db.database import Database
from studio_comms.db.errors import describe, fault_of
from studio_comms.db.tx import Tx
from studio_comms.outbox import backoff, queue
from studio_comms.outbox import stats as outbox_stats
from studio_comms.outbox.queue import ClaimedItem
from studio_comms.outbox.wakeup import Waker

log = logging.getLogger("studio_comms.worker")


@dataclass(frozen=True, slots=True)
class Outcome:
    error: str | None = None
    # Not tried: run the item again after this many seconds, without counting an attempt.
    defer_seconds: float | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.defer_seconds is None


@dataclass(frozen=True, slots=True)
class AttemptInfo:
    # When the attempt started.
    now: datetime
    # When the item is tried again if this attempt failed, counted from when it ended (a receiver
    # that timed out after 5 s gets the whole delay to recover); None: it was the last attempt.
    retry_at: datetime | None


# Records the result of ``perform`` once the attempt is over (so its end is known).
Recorder = Callable[[Tx, AttemptInfo], Outcome]


class Handler(Protocol):
    def perform(self, item: ClaimedItem, now: datetime) -> Recorder:
        """The outside work, holding no transaction; ``now``: when the attempt started."""

    def failed(self, tx: Tx, item: ClaimedItem, attempt: AttemptInfo, error: str) -> None:
        """The handler itself crashed (``perform`` or its recorder raised): record what the
        domain shows, in the transaction that reschedules the item or marks it dead."""

    def close(self) -> None:
        """Release what the handler holds (connections); the worker is done."""


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    retry_schedule: tuple[int, ...]
    lease_seconds: int = 30
    poll_seconds: float = 0.5
    batch_size: int = 32
    concurrency: int = 8
    # Warn while the oldest due item has waited longer than this: the workers cannot keep up.
    lag_warning_seconds: float = 60.0


class Worker:
    def __init__(
        self,
        database: Database,
        handlers: Mapping[str, Handler],
        config: WorkerConfig,
        *,
        clock: Callable[[], datetime] = utcnow,
        waker: Waker | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.database = database
        self.handlers = handlers
        self.config = config
        self.clock = clock
        self.waker = waker
        self.rng = rng or random.Random()  # noqa: S311 - jitter
        self.owner = uuid.uuid4().hex[:12]
        self.stats = _Stats()
        self._quiet_until = 0.0
        self._lag_checked_at = -math.inf

    # -- one item ---------------------------------------------------------------------------

    def claim(self, limit: int) -> list[ClaimedItem]:
        now = self.clock()
        with self.database.read() as tx:
            if not queue.any_due(tx, now=now):
                return []
        with self.database.transaction() as tx:
            items = queue.claim(
                tx,
                owner=self.owner,
                now=now,
                lease_until=now + timedelta(seconds=self.config.lease_seconds),
                limit=limit,
            )
        if items:
            self.stats.lag(max((now - item.available_at).total_seconds() for item in items))
        return items

    def process(self, item: ClaimedItem) -> None:
        started = self.clock()
        try:
            handler = self.handlers.get(item.kind)
            if handler is None:
                raise LookupError(f"no handler for outbox items of kind {item.kind!r}")
            record = handler.perform(item, started)
            attempt = self._ended(item, started)
            with self.database.transaction() as tx:
                if not queue.hold(tx, item.id, self.owner):
                    log.warning("outbox item %s: lease lost before its result was recorded", item.id)
                    return
                outcome = record(tx, attempt)
                if outcome.defer_seconds is not None:
                    queue.defer(tx, item.id, until=self.clock() + timedelta(seconds=outcome.defer_seconds))
                    return
                if outcome.ok:
                    queue.complete(tx, item.id, self.clock())
                else:
                    error = outcome.error or "failed"
                    queue.fail(tx, item.id, error, retry_at=attempt.retry_at, now=self.clock())
            self._report(item, attempt, outcome)
        except Exception as error:
            if fault_of(error) is not None:
                # The database, not the handler: no traceback, and no driver message (it may
                # quote the values of the statement).
                log.warning("outbox item %s (%s): database error: %s", item.id, item.kind, describe(error))
                self._record_crash(item, attempt, describe(error))
                return
            log.exception("outbox item %s (%s) failed on attempt %s", item.id, item.kind, item.attempts)
            self._record_crash(item, self._ended(item, started), f"{type(error).__name__}: {error}")

    def _ended(self, item: ClaimedItem, started: datetime) -> AttemptInfo:
        """The attempt that started at ``started`` is over now: its retry counts from now."""
        ended = self.clock()
        return AttemptInfo(
            started, backoff.retry_at(self.config.retry_schedule, item.attempts, ended, self.rng)
        )

    def _record_crash(self, item: ClaimedItem, attempt: AttemptInfo, error: str) -> None:
        try:
            with self.database.transaction() as tx:
                if queue.hold(tx, item.id, self.owner):
                    queue.fail(tx, item.id, error, retry_at=attempt.retry_at, now=self.clock())
                    handler = self.handlers.get(item.kind)
                    if handler is not None:
                        handler.failed(tx, item, attempt, error)
        except Exception as failure:
            # The lease expires and another attempt follows: nothing is lost, only delayed.
            if fault_of(failure) is not None:
                log.warning("outbox item %s: could not record its failure: %s", item.id, describe(failure))
            else:
                log.exception("outbox item %s: could not record its failure", item.id)
        self._report(item, attempt, Outcome(error))

    def _report(self, item: ClaimedItem, attempt: AttemptInfo, outcome: Outcome) -> None:
        self.stats.count(outcome.ok, dead=attempt.retry_at is None)
        if outcome.ok:
            return
        if attempt.retry_at is None:
            log.error(
                "outbox item %s (%s %s) is dead after %s attempts: %s",
                item.id, item.kind, item.event_type, item.attempts, outcome.error,
            )  # fmt: skip
        else:
            log.warning(
                "outbox item %s (%s %s) attempt %s failed: %s; next attempt at %s",
                item.id, item.kind, item.event_type, item.attempts, outcome.error,
                attempt.retry_at.isoformat(timespec="seconds"),
            )  # fmt: skip

    def close(self) -> None:
        if self.waker is not None:
            self.waker.close()
        for handler in self.handlers.values():
            handler.close()

    # -- loops ------------------------------------------------------------------------------

    def drain(self, *, limit: int = 100_000) -> int:
        """Process due items one by one in this thread until none is due; returns how many."""
        processed = 0
        while processed < limit:
            items = self.claim(min(self.config.batch_size, limit - processed))
            if not items:
                return processed
            for item in items:
                self.process(item)
            processed += len(items)
        return processed

    def run(self, stop: threading.Event) -> None:
        """Until ``stop`` is set; then finishes the items in flight (SIGTERM) and returns."""
        log.info("outbox worker %s started (concurrency %s)", self.owner, self.config.concurrency)
        in_flight: set[Future[None]] = set()
        with ThreadPoolExecutor(self.config.concurrency, thread_name_prefix="outbox") as pool:
            while not stop.is_set():
                free = self.config.concurrency - len(in_flight)
                items = self._claim_safely(min(free, self.config.batch_size)) if free else []
                in_flight |= {pool.submit(self.process, item) for item in items}
                if not items or len(in_flight) >= self.config.concurrency:
                    self._idle(in_flight, stop)
                in_flight = {future for future in in_flight if not future.done()}
                self.stats.maybe_log()
                if time.monotonic() - self._lag_checked_at >= _Stats.INTERVAL:
                    self._lag_checked_at = time.monotonic()
                    self.warn_if_lagging()
            if in_flight:
                log.info("outbox worker %s: finishing %s items in flight", self.owner, len(in_flight))
            wait(in_flight)
        self.stats.maybe_log(force=True)
        log.info("outbox worker %s stopped", self.owner)

    def warn_if_lagging(self) -> None:
        """Warn while the oldest due item waits longer than the threshold (the loop asks once per
        stats interval). Measured on the queue, not on what this worker claimed, so a worker that
        cannot claim at all (every thread busy with slow endpoints) still tells."""
        try:
            with self.database.read() as tx:
                waiting = outbox_stats.backlog(tx, now=self.clock())
        except Exception as error:
            if fault_of(error) is None:
                log.exception("outbox worker %s: measuring the lag failed", self.owner)
            return  # a database fault: claiming says so
        oldest = waiting.oldest_due_seconds
        if oldest is not None and oldest > self.config.lag_warning_seconds:
            log.warning(
                "outbox lag: %s items due, the oldest waiting %.0f s (warning above %.0f s); the "
                "workers do not keep up: run standalone workers (README, Scaling out)",
                waiting.due, oldest, self.config.lag_warning_seconds,
            )  # fmt: skip

    def _claim_safely(self, limit: int) -> list[ClaimedItem]:
        try:
            return self.claim(limit)
        except Exception as error:
            if fault_of(error) is None:
                log.exception("outbox worker %s: claiming failed; retrying", self.owner)
            elif self._quiet_until <= time.monotonic():
                # Once per interval while the database is away, not at every poll.
                self._quiet_until = time.monotonic() + _Stats.INTERVAL
                log.warning("outbox worker %s: database error, retrying: %s", self.owner, describe(error))
            return []

    def _idle(self, in_flight: set[Future[None]], stop: threading.Event) -> None:
        if in_flight:
            wait(in_flight, timeout=self.config.poll_seconds, return_when=FIRST_COMPLETED)
        elif self.waker is not None:
            self.waker.wait(self.config.poll_seconds)
        else:
            stop.wait(self.config.poll_seconds)


class _Stats:
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
