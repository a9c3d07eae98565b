"""Recording what items' attempts came to: under their leases, many in one transaction.

The recorders of the items that finished together run in one transaction: one statement locks
the items this worker still holds, each recorder writes its item's result, one statement
completes the items that succeeded (failures and deferrals are rescheduled one by one; they are
rare). Should anything in it raise, the transaction is rolled back and each item is recorded in
a transaction of its own, so one bad item cannot undo or hold up another's result. A worker that
lost an item's lease (it expired and another worker took the item) records nothing for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from studio_comms.core import errortext
from studio_comms.db.database import Database
from studio_comms.db.errors import describe, fault_of
from studio_comms.db.tx import Tx
from studio_comms.outbox import queue
from studio_comms.outbox.handling import AttemptInfo, Handler, Outcome, Recorder
from studio_comms.outbox.queue import ClaimedItem
from studio_comms.outbox.worker_stats import WorkerStats

log = logging.getLogger("studio_comms.worker")


@dataclass(slots=True)
class Done:
    """An item whose attempt is over: its recorder, or the crash of its handler."""

    item: ClaimedItem
    attempt: AttemptInfo
    record: Recorder | None
    # Why the handler crashed (then there is no recorder).
    crash: str | None = None


class Recording:
    def __init__(
        self,
        database: Database,
        handlers: Mapping[str, Handler],
        owner: str,
        clock: Callable[[], datetime],
        stats: WorkerStats,
    ) -> None:
        self.database = database
        self.handlers = handlers
        self.owner = owner
        self.clock = clock
        self.stats = stats

    def record(self, finished: list[Done]) -> None:
        """Record what finished: together in one transaction, or each alone if that fails."""
        recorded = [done for done in finished if done.record is not None]
        if recorded:
            try:
                self._record_together(recorded)
            except Exception as error:
                if fault_of(error) is None:
                    log.warning("outbox: recording %s items together failed (%s); one by one",
                                len(recorded), type(error).__name__)  # fmt: skip
                for done in recorded:
                    self._record_alone(done)
        for done in finished:
            if done.crash is not None:
                self.crash(done.item, done.attempt, done.crash)

    def _record_together(self, batch: list[Done]) -> None:
        reports: list[tuple[Done, Outcome]] = []
        with self.database.transaction() as tx:
            held = queue.hold_many(tx, [done.item.id for done in batch], self.owner)
            completed: list[int] = []
            for done in batch:
                if done.item.id not in held:
                    continue
                outcome = self._apply(tx, done, completed)
                reports.append((done, outcome))
            queue.complete_many(tx, completed, self.clock())
        for done in batch:
            if done.item.id not in held:
                log.warning("outbox item %s: lease lost before its result was recorded", done.item.id)
        for done, outcome in reports:
            self._report(done.item, done.attempt, outcome)

    def _apply(self, tx: Tx, done: Done, completed: list[int]) -> Outcome:
        """Run the item's recorder and schedule what its outcome says (completions are batched)."""
        assert done.record is not None
        outcome = done.record(tx, done.attempt)
        if outcome.defer_seconds is not None:
            queue.defer(tx, done.item.id, until=self.clock() + timedelta(seconds=outcome.defer_seconds))
        elif outcome.ok:
            completed.append(done.item.id)
        else:
            queue.fail(tx, done.item.id, outcome.error or "failed", retry_at=done.attempt.retry_at,
                       now=self.clock())  # fmt: skip
        return outcome

    def _record_alone(self, done: Done) -> None:
        item = done.item
        try:
            with self.database.transaction() as tx:
                if not queue.hold(tx, item.id, self.owner):
                    log.warning("outbox item %s: lease lost before its result was recorded", item.id)
                    return
                completed: list[int] = []
                outcome = self._apply(tx, done, completed)
                queue.complete_many(tx, completed, self.clock())
            self._report(item, done.attempt, outcome)
        except Exception as error:
            self.crash(item, done.attempt, crashed(item, error))

    def crash(self, item: ClaimedItem, attempt: AttemptInfo, error: str) -> None:
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
        if outcome.defer_seconds is not None:
            return  # not tried: neither done nor failed
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


def crashed(item: ClaimedItem, error: Exception) -> str:
    """Log a handler's or recorder's crash; what the item's row keeps of it."""
    if fault_of(error) is not None:
        # The database, not the handler: no traceback, and no driver message (it may quote the
        # values of the statement).
        log.warning("outbox item %s (%s): database error: %s", item.id, item.kind, describe(error))
        return describe(error)
    described = errortext.describe(error)
    if errortext.holds_values(error):
        # Its traceback would end with the refused values (a message text, a member's name).
        log.error("outbox item %s (%s) failed on attempt %s: %s, raised at %s", item.id, item.kind,
                  item.attempts, described, errortext.origin(error))  # fmt: skip
    else:
        log.exception("outbox item %s (%s) failed on attempt %s", item.id, item.kind, item.attempts,
                      exc_info=error)  # fmt: skip
    return described
