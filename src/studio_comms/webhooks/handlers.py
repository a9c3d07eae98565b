"""Outbox handlers: fan an event out to subscriptions, send one delivery."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from studio_comms.core import metrics
from studio_comms.core.clock import utcnow
from studio_comms.db.database import Database
from studio_comms.db.tx import Tx
from studio_comms.outbox.queue import ClaimedItem
from studio_comms.outbox.worker import AttemptInfo, Outcome, Recorder
from studio_comms.webhooks import deliveries, rules, signing
from studio_comms.webhooks.repository import AttemptRow, Outgoing, WebhooksRepository
from studio_comms.webhooks.schemas import DeliveryState, WebhookStatus
from studio_comms.webhooks.sender import Attempt, Sender

log = logging.getLogger("studio_comms.webhooks")


class FanOut:
    """``event`` items: all work is in the database, so it all happens while recording (the
    events that finished together fan out in one transaction)."""

    async def perform(self, item: ClaimedItem, now: datetime) -> Recorder:
        # Async only so that it needs no thread: there is nothing to wait for.
        def record(tx: Tx, attempt: AttemptInfo) -> Outcome:
            deliveries.fan_out(tx, item, now=attempt.now)
            return Outcome()

        return record

    def failed(self, tx: Tx, item: ClaimedItem, attempt: AttemptInfo, error: str) -> None:
        """Nothing of the domain shows a fan-out; the outbox row says it all."""

    def close(self) -> None:
        """Holds nothing to release."""


# How long a delivery whose endpoint is busy waits before it is claimed again.
DEFER_SECONDS = 1.0


class EndpointSlots:
    """Deliveries in flight per subscription in this worker, up to a limit each; the rest wait
    their turn in order, for a while (then they are deferred, so a slow endpoint's backlog does
    not occupy the worker's capacity)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._busy: dict[int, int] = {}
        self._waiting: dict[int, deque[asyncio.Future[None]]] = {}

    def take(self, subscription_id: int) -> bool:
        if self._busy.get(subscription_id, 0) >= self.limit:
            return False
        self._busy[subscription_id] = self._busy.get(subscription_id, 0) + 1
        return True

    async def wait_for(self, subscription_id: int, patience: float) -> bool:
        """A slot of the subscription, waiting up to ``patience`` seconds for one; False if none."""
        if self.take(subscription_id):
            return True
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiting = self._waiting.setdefault(subscription_id, deque())
        waiting.append(turn)
        try:
            await asyncio.wait_for(turn, patience)
        except TimeoutError:
            if turn in waiting:
                waiting.remove(turn)
            return False
        return True  # handed over by give_back: the slot stays taken

    def give_back(self, subscription_id: int) -> None:
        waiting = self._waiting.get(subscription_id)
        while waiting:
            turn = waiting.popleft()
            if not turn.done():
                turn.set_result(None)  # the slot passes to the next in line
                return
        if not waiting:
            self._waiting.pop(subscription_id, None)
        left = self._busy[subscription_id] - 1
        if left:
            self._busy[subscription_id] = left
        else:
            del self._busy[subscription_id]


class _Batches:
    """Loads the deliveries of the items performed together with one statement per studio: the
    first ``load`` of a loop turn schedules the read, every ``load`` of that turn joins it. The
    read runs on a thread of its own, so the loop keeps sending while it waits for the database."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._wanted: dict[int, dict[int, list[asyncio.Future[Outgoing | None]]]] = {}
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="webhooks-read")

    async def load(self, item: ClaimedItem) -> Outgoing | None:
        loop = asyncio.get_running_loop()
        found: asyncio.Future[Outgoing | None] = loop.create_future()
        if not self._wanted:
            loop.call_soon(self._start)
        self._wanted.setdefault(item.studio_id, {}).setdefault(item.entity_id, []).append(found)
        return await found

    def _start(self) -> None:
        wanted, self._wanted = self._wanted, {}
        reading = asyncio.get_running_loop().run_in_executor(self._reader, self._read, wanted)
        reading.add_done_callback(lambda done: self._hand_out(wanted, done))

    def _read(self, wanted: dict[int, dict[int, list[Any]]]) -> dict[int, dict[int, Outgoing]]:
        with self.database.read() as tx:
            return {
                studio_id: WebhooksRepository(tx, studio_id).to_send(list(by_id))
                for studio_id, by_id in wanted.items()
            }

    @staticmethod
    def _hand_out(
        wanted: dict[int, dict[int, list[asyncio.Future[Outgoing | None]]]],
        done: asyncio.Future[dict[int, dict[int, Outgoing]]],
    ) -> None:
        error = done.exception()
        for studio_id, by_id in wanted.items():
            for delivery_id, waiting in by_id.items():
                for found in waiting:
                    if found.done():
                        continue
                    if error is not None:
                        found.set_exception(error)
                    else:
                        found.set_result(done.result()[studio_id].get(delivery_id))

    def close(self) -> None:
        self._reader.shutdown(wait=True)


class Deliver:
    """``webhook`` items: one signed POST, sent while no transaction is open, on the worker's
    event loop (hundreds in flight, bounded per endpoint)."""

    def __init__(
        self,
        database: Database,
        sender: Sender,
        *,
        disable_after: timedelta,
        quiet_gap: timedelta,
        per_endpoint: int = 2,
        patience: float = DEFER_SECONDS,
        wall_clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.sender = sender
        self.slots = EndpointSlots(per_endpoint)
        self._batches = _Batches(database)
        # How long a delivery waits for a slot of its endpoint before it is deferred.
        self.patience = patience
        self.disable_after = disable_after
        # No failure for longer than the longest retry delay: the endpoint was not failing all
        # along, it just had nothing to receive; the next failure starts a new window.
        self.quiet_gap = quiet_gap
        # The signature's timestamp is when the request leaves, by the real clock: receivers
        # compare it with theirs. (Scheduling uses the worker's clock, which tests may fix.)
        self.wall_clock = wall_clock

    def close(self) -> None:
        self.sender.close()
        self._batches.close()

    async def perform(self, item: ClaimedItem, now: datetime) -> Recorder:
        delivery = await self._batches.load(item)
        if delivery is None:
            log.warning("webhook delivery %s no longer exists; nothing to send", item.entity_id)
            return lambda tx, attempt: Outcome()
        if delivery.state != DeliveryState.PENDING.value:
            # Finished already (a copy of its queue entry): sending again would duplicate it.
            log.warning("webhook delivery %s is %s; not sent again", delivery.delivery_id, delivery.state)
            return lambda tx, attempt: Outcome()
        if delivery.subscription_deleted or delivery.subscription_status != WebhookStatus.ACTIVE.value:
            why = "deleted" if delivery.subscription_deleted else "disabled"
            return lambda tx, attempt: self._cancel(tx, item, f"subscription {why}", now)
        subscription_id = delivery.subscription_id
        if not await self.slots.wait_for(subscription_id, self.patience):
            # The endpoint kept its share of this worker busy: try it again a moment later, so a
            # slow endpoint's backlog cannot occupy the worker.
            return lambda tx, attempt: Outcome(defer_seconds=DEFER_SECONDS)
        try:
            body = signing.envelope(
                entity_id=delivery.entity_id,
                event_uuid=delivery.event_uuid,
                event_type=delivery.event_type,
                occurred_at=delivery.occurred_at,
                content=delivery.content,
            )
            headers = signing.headers(
                api_key=delivery.api_key,
                signing_secret=delivery.signing_secret,
                event_uuid=delivery.event_uuid,
                body=body,
                sent_at=self.wall_clock(),
            )
            result = await self.sender.send(delivery.url, body.encode(), headers)
        finally:
            self.slots.give_back(subscription_id)
        return lambda tx, attempt: self._record(tx, item, subscription_id, attempt, result)

    def failed(self, tx: Tx, item: ClaimedItem, attempt: AttemptInfo, error: str) -> None:
        """The delivery shows the crash too, and is dead when the item is: never PENDING for ever."""
        repository = WebhooksRepository(tx, item.studio_id)
        delivery = repository.delivery(item.entity_id, lock=True)
        if delivery is None or delivery.state != DeliveryState.PENDING.value:
            return
        delivery.last_error = error[:2000]
        rules.reschedule(delivery, attempt.retry_at, attempt.now)
        repository.save_delivery(delivery)

    def _cancel(self, tx: Tx, item: ClaimedItem, reason: str, now: datetime) -> Outcome:
        repository = WebhooksRepository(tx, item.studio_id)
        delivery = repository.delivery(item.entity_id, lock=True)
        if delivery is not None:
            delivery.last_error = reason
            rules.finish(delivery, DeliveryState.CANCELLED, now)
            repository.save_delivery(delivery)
        return Outcome()

    def _record(
        self, tx: Tx, item: ClaimedItem, subscription_id: int, attempt: AttemptInfo, result: Attempt
    ) -> Outcome:
        repository = WebhooksRepository(tx, item.studio_id)
        metrics.count_webhook_attempt(result.succeeded)
        if result.succeeded:
            repository.succeeded(
                item.entity_id,
                status_code=result.status_code,
                duration_ms=result.duration_ms,
                now=attempt.now,
            )
            if tx.once(f"webhooks.healthy.{subscription_id}"):
                repository.healthy(subscription_id)
            return Outcome()
        delivery = repository.delivery(item.entity_id, lock=True)
        if delivery is None:
            return Outcome()
        delivery.attempts += 1
        repository.add_attempt(
            delivery,
            AttemptRow(
                delivery.id,
                delivery.attempts,
                attempt.now,
                result.status_code,
                result.duration_ms,
                result.error,
            ),
        )
        delivery.last_status_code = result.status_code
        delivery.last_duration_ms = result.duration_ms
        delivery.last_error = result.error
        rules.reschedule(delivery, attempt.retry_at, attempt.now)
        repository.save_delivery(delivery)
        self._failing(repository, subscription_id, attempt.now)
        return Outcome(result.error)

    def _failing(self, repository: WebhooksRepository, subscription_id: int, now: datetime) -> None:
        """Start the failure window, or disable the subscription when it has lasted long enough."""
        repository.failed_at(subscription_id, now, window_start=now - self.quiet_gap)
        url = repository.disable_if_failing_since(subscription_id, now - self.disable_after, now=now)
        if url is not None:
            log.error(
                "webhook %s of studio %s (%s) disabled: every delivery failed for %s",
                subscription_id, repository.studio_id, url, self.disable_after,
            )  # fmt: skip
