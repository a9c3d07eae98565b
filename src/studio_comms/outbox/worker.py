"""The outbox worker: claims due items with a lease and runs each one's handler.

The seam for a new kind of item (``background.build_worker`` registers one ``Handler`` per kind;
the types are in ``outbox.handling`` and importable from here):

- ``perform(item, now) -> Recorder``: the outside work (an HTTP request, an e-mail), holding no
  transaction. A plain ``def`` runs on one of the worker's threads (``worker_concurrency``); an
  ``async def`` runs on the worker's event loop, so hundreds can be in flight at once (webhooks).
  It must not raise for an expected failure; it returns a function that records the result.
- the recorder ``(tx, attempt) -> Outcome`` runs once the attempt is over, in a transaction the
  worker commits, under the item's lease: done, failed (retried on the schedule counted from the
  attempt's end, dead after the last) or deferred. The recorders of the items that finished
  together share one transaction (one statement locks the batch, one completes it); should one of
  them raise, the batch is rolled back and each is recorded on its own, so one bad item cannot
  hold up or undo another's result. Recorders run on the worker's database thread; they may
  defer statements to the end of the transaction (``Tx.later``) to share a round trip.
- ``failed(tx, item, attempt, error)``: ``perform`` or its recorder crashed: record what the
  domain shows, in the transaction that reschedules the item or marks it dead.
- ``close()``: release what the handler holds.

Any failure is a row: attempts, last error and the next attempt's time, or dead after the last.
A worker that dies loses nothing: its leases expire and another worker claims the items again.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from studio_comms.core.clock import utcnow
from studio_comms.db.database import Database
from studio_comms.db.errors import describe, fault_of
from studio_comms.outbox import backoff, queue
from studio_comms.outbox import stats as outbox_stats
from studio_comms.outbox.handling import AttemptInfo, Handler, Outcome, Recorder
from studio_comms.outbox.queue import ClaimedItem
from studio_comms.outbox.recording import Done, Recording, crashed
from studio_comms.outbox.wakeup import Waker
from studio_comms.outbox.worker_stats import WorkerStats

# The seam for handlers, importable from here.
__all__ = ["AttemptInfo", "Handler", "Outcome", "Recorder", "Worker", "WorkerConfig"]

log = logging.getLogger("studio_comms.worker")
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    retry_schedule: tuple[int, ...]
    lease_seconds: int = 30
    poll_seconds: float = 0.5
    batch_size: int = 32
    # Threads for handlers whose ``perform`` is a plain function.
    concurrency: int = 8
    # Items claimed and not yet recorded, at most (async handlers keep this many in flight).
    max_in_flight: int = 256
    # Warn while the oldest due item has waited longer than this: the workers cannot keep up.
    lag_warning_seconds: float = 60.0


# Finished items wait at most this long for the rest of their batch before they are recorded.
RECORD_EVERY_SECONDS = 0.005


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
        self.stats = WorkerStats()
        self.recording = Recording(database, handlers, self.owner, clock, self.stats)
        self._quiet_until = 0.0
        self._lag_checked_at = -math.inf
        self._is_async = {kind: inspect.iscoroutinefunction(h.perform) for kind, h in handlers.items()}
        # Kinds whose ``perform`` blocks a thread: claimed apart, only up to the threads free.
        self._blocking_kinds = tuple(kind for kind, is_async in self._is_async.items() if not is_async)
        if len(self._blocking_kinds) > queue.MAX_BLOCKING_KINDS:
            raise ValueError(f"at most {queue.MAX_BLOCKING_KINDS} kinds of item may have a blocking handler")
        # One loop for the worker's life: the async handlers' kept-alive connections belong to it.
        self._loop: asyncio.AbstractEventLoop | None = None
        # Threads for plain handlers while ``run`` runs; ``drain`` calls them in its own thread.
        self._threads: ThreadPoolExecutor | None = None
        # While ``run`` runs, claims and records go to one thread of their own: the loop keeps
        # sending while they wait for the database (a round trip stalls no request in flight).
        self._database_thread: ThreadPoolExecutor | None = None

    # -- claiming, performing, recording -------------------------------------------------------

    def claim(self, limit: int, *, probe: bool = True, blocking: bool | None = None) -> list[ClaimedItem]:
        """Lease up to ``limit`` due items. ``probe``: look first with a read whether any is due
        (an idle SQLite worker then does not take the write lock at every poll); pointless right
        after a claim that came back full. ``blocking``: only items whose handler blocks a thread
        (True), only the others (False), or any (None)."""
        now = self.clock()
        if probe:
            with self.database.read() as tx:
                if not queue.any_due(tx, now=now):
                    return []
        owner, lease_until = self.owner, now + timedelta(seconds=self.config.lease_seconds)
        with self.database.transaction() as tx:
            if blocking is None or (not blocking and not self._blocking_kinds):
                items = queue.claim(tx, owner=owner, now=now, lease_until=lease_until, limit=limit)
            elif blocking:
                items = []
                for kind in self._blocking_kinds:
                    if len(items) < limit:
                        items += queue.claim_of_kind(
                            tx,
                            kind=kind,
                            owner=owner,
                            now=now,
                            lease_until=lease_until,
                            limit=limit - len(items),
                        )
            else:
                items = queue.claim_except(
                    tx, kinds=self._blocking_kinds, owner=owner, now=now, lease_until=lease_until, limit=limit
                )
        if items:
            self.stats.lag(max((now - item.available_at).total_seconds() for item in items))
        return items

    async def _perform(self, item: ClaimedItem) -> Done:
        started = self.clock()
        try:
            handler = self.handlers.get(item.kind)
            if handler is None:
                raise LookupError(f"no handler for outbox items of kind {item.kind!r}")
            if self._is_async[item.kind]:
                record = await handler.perform(item, started)
            elif self._threads is None:
                record = handler.perform(item, started)
            else:
                loop = asyncio.get_running_loop()
                record = await loop.run_in_executor(self._threads, handler.perform, item, started)
        except Exception as error:
            return Done(item, self._ended(item, started), None, crashed(item, error))
        return Done(item, self._ended(item, started), record)

    def _ended(self, item: ClaimedItem, started: datetime) -> AttemptInfo:
        """The attempt that started at ``started`` is over now: its retry counts from now."""
        ended = self.clock()
        return AttemptInfo(
            started, backoff.retry_at(self.config.retry_schedule, item.attempts, ended, self.rng)
        )

    def close(self) -> None:
        if self.waker is not None:
            self.waker.close()
        for handler in self.handlers.values():
            handler.close()
        # A loop still running (a stop that timed out) is left to its thread.
        if self._loop is not None and not self._loop.is_running():
            self._loop.run_until_complete(asyncio.sleep(0))  # let closed connections finish closing
            self._loop.close()
            self._loop = None

    # -- loops ------------------------------------------------------------------------------

    def _run_on_loop(self, work: Any) -> Any:
        if self._loop is None:
            self._loop = _new_loop()
        return self._loop.run_until_complete(work)

    def drain(self, *, limit: int = 100_000) -> int:
        """Process due items batch by batch in this thread until none is due; returns how many."""
        return int(self._run_on_loop(self._drain(limit)))

    async def _drain(self, limit: int) -> int:
        processed = 0
        while processed < limit:
            items = self.claim(min(self.config.batch_size, limit - processed))
            if not items:
                break
            self.recording.record(list(await asyncio.gather(*(self._perform(item) for item in items))))
            processed += len(items)
        return processed

    def run(self, stop: threading.Event) -> None:
        """Until ``stop`` is set; then finishes the items in flight (SIGTERM) and returns."""
        log.info("outbox worker %s started (concurrency %s, up to %s in flight)",
                 self.owner, self.config.concurrency, self.config.max_in_flight)  # fmt: skip
        with (
            ThreadPoolExecutor(self.config.concurrency, thread_name_prefix="outbox") as threads,
            ThreadPoolExecutor(1, thread_name_prefix="outbox-db") as database_thread,
        ):
            self._threads, self._database_thread = threads, database_thread
            try:
                self._run_on_loop(self._run(stop))
            finally:
                self._threads = self._database_thread = None
        self.stats.maybe_log(force=True)
        log.info("outbox worker %s stopped", self.owner)

    async def _run(self, stop: threading.Event) -> None:
        loop = asyncio.get_running_loop()
        in_flight: set[asyncio.Task[Done]] = set()
        finished: list[Done] = []
        nap: list[asyncio.Future[None]] = []

        def landed(task: asyncio.Task[Done]) -> None:
            # A callback per task, not asyncio.wait over all of them (that re-registers on
            # every task in flight at each turn: measured as the loop's largest cost).
            in_flight.discard(task)
            if not task.cancelled():
                finished.append(task.result())
            if nap and not nap[0].done():
                nap[0].set_result(None)

        lanes = self._lanes()
        oldest = math.inf
        while not stop.is_set():
            for lane in lanes:
                if not lane.may_claim(self.config.poll_seconds):
                    continue
                limit = min(lane.free, self.config.batch_size)
                items = await self._in_database_thread(
                    partial(self._claim_safely, limit, probe=not lane.was_full, blocking=lane.blocking)
                )
                lane.claimed_at = time.monotonic()
                lane.held += len(items)
                for item in items:
                    task = loop.create_task(self._perform(item))
                    in_flight.add(task)
                    task.add_done_callback(landed)
                # A full batch: there may be more due at once.
                lane.claim_now = lane.was_full = len(items) == limit
            if in_flight:
                wait = (
                    0.0
                    if any(lane.claim_now and lane.has_room for lane in lanes)
                    else self.config.poll_seconds
                )
                if finished:
                    oldest = min(oldest, time.monotonic())
                    wait = min(wait, max(0.0, oldest + RECORD_EVERY_SECONDS - time.monotonic()))
                await _nap(loop, nap, wait)
            elif not finished and not any(lane.claim_now for lane in lanes):
                self._idle(stop)
                for lane in lanes:
                    lane.claim_now = True
            if finished and (
                not in_flight
                or len(finished) >= self.config.batch_size
                or time.monotonic() - oldest >= RECORD_EVERY_SECONDS
            ):
                batch, finished[:] = list(finished), []
                oldest = math.inf
                await self._in_database_thread(partial(self.recording.record, batch))
                for done in batch:
                    # Only now is its place free: a send is recorded before the next one starts in
                    # its place, so a worker killed at any moment has sent at most its lanes'
                    # capacity without recording it (the blocking lane: its threads).
                    lane = lanes[self._lane_of(done.item.kind, lanes)]
                    lane.held -= 1
                    lane.claim_now = True  # capacity is free again
                lanes[0].claim_now = True  # recording may have queued items (events)
            self.stats.maybe_log()
            if time.monotonic() - self._lag_checked_at >= WorkerStats.INTERVAL:
                self._lag_checked_at = time.monotonic()
                self.warn_if_lagging()
        if in_flight:
            log.info("outbox worker %s: finishing %s items in flight", self.owner, len(in_flight))
            await asyncio.wait(set(in_flight))
            await asyncio.sleep(0)  # the done callbacks run
        if finished:
            await self._in_database_thread(partial(self.recording.record, list(finished)))

    def _lanes(self) -> list[_Lane]:
        """Every other kind first (async handlers: up to ``max_in_flight``, claimed a batch at a
        time); then, if any, the kinds whose handler blocks a thread: claimed only while a thread
        is free, so a claimed item starts at once and never waits out its lease in a queue."""
        others = _Lane(
            blocking=False,
            capacity=self.config.max_in_flight,
            room=min(self.config.batch_size, self.config.max_in_flight),
        )
        if not self._blocking_kinds:
            return [others]
        return [others, _Lane(blocking=True, capacity=self.config.concurrency, room=1)]

    def _lane_of(self, kind: str, lanes: list[_Lane]) -> int:
        return 1 if len(lanes) > 1 and self._is_async.get(kind) is False else 0

    async def _in_database_thread(self, work: Callable[[], _T]) -> _T:
        if self._database_thread is None:
            return work()
        return await asyncio.get_running_loop().run_in_executor(self._database_thread, work)

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

    def _claim_safely(self, limit: int, *, probe: bool, blocking: bool | None) -> list[ClaimedItem]:
        try:
            return self.claim(limit, probe=probe, blocking=blocking)
        except Exception as error:
            if fault_of(error) is None:
                log.exception("outbox worker %s: claiming failed; retrying", self.owner)
            elif self._quiet_until <= time.monotonic():
                # Once per interval while the database is away, not at every poll.
                self._quiet_until = time.monotonic() + WorkerStats.INTERVAL
                log.warning("outbox worker %s: database error, retrying: %s", self.owner, describe(error))
            return []

    def _idle(self, stop: threading.Event) -> None:
        """Nothing in flight and nothing due: block until woken (PostgreSQL) or the next poll."""
        if self.waker is not None:
            self.waker.wait(self.config.poll_seconds)
        else:
            stop.wait(self.config.poll_seconds)


@dataclass(slots=True)
class _Lane:
    """Items claimed together and counted until recorded: the kinds whose handler blocks a thread,
    or the others."""

    blocking: bool
    # Claimed and not yet recorded, at most.
    capacity: int
    # Claim once this many are free (one statement leases many), or when none is held.
    room: int
    held: int = 0
    claim_now: bool = True
    was_full: bool = False
    claimed_at: float = -math.inf

    @property
    def free(self) -> int:
        return self.capacity - self.held

    @property
    def has_room(self) -> bool:
        return self.free >= self.room

    def may_claim(self, poll_seconds: float) -> bool:
        ready = self.has_room or (self.free > 0 and self.held == 0)
        return ready and (self.claim_now or time.monotonic() - self.claimed_at >= poll_seconds)


async def _nap(loop: asyncio.AbstractEventLoop, nap: list[asyncio.Future[None]], seconds: float) -> None:
    """Sleep up to ``seconds``; a finishing item (``landed``) wakes it early."""
    if seconds <= 0:
        await asyncio.sleep(0)
        return
    woken: asyncio.Future[None] = loop.create_future()
    nap[:] = [woken]
    timer = loop.call_later(seconds, _wake, woken)
    try:
        await woken
    finally:
        timer.cancel()
        nap.clear()


def _wake(woken: asyncio.Future[None]) -> None:
    if not woken.done():
        woken.set_result(None)


def _new_loop() -> asyncio.AbstractEventLoop:
    """uvloop where installed (it comes with uvicorn[standard]): measured ~40 % less CPU per
    webhook POST than the default loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()
