"""Outbox handlers: fan an event out to subscriptions, send one delivery."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from studio_comms.core.clock import utcnow
from studio_comms.db.database import Database
from studio_comms.db.tx import Tx
from studio_comms.outbox.queue import ClaimedItem
from studio_comms.outbox.worker import AttemptInfo, Outcome, Recorder
from studio_comms.webhooks import deliveries, rules, signing
from studio_comms.webhooks.repository import AttemptRow, WebhooksRepository
from studio_comms.webhooks.schemas import DeliveryState, WebhookStatus
from studio_comms.webhooks.sender import Attempt, Sender

log = logging.getLogger("studio_comms.webhooks")


class FanOut:
    """``event`` items: all work is in the database, so it all happens while recording."""

    def perform(self, item: ClaimedItem, now: datetime) -> Recorder:
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
    """Deliveries in flight per subscription in this process, up to a limit each."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._busy: dict[int, int] = {}
        self._lock = threading.Lock()

    def take(self, subscription_id: int) -> bool:
        with self._lock:
            if self._busy.get(subscription_id, 0) >= self.limit:
                return False
            self._busy[subscription_id] = self._busy.get(subscription_id, 0) + 1
            return True

    def give_back(self, subscription_id: int) -> None:
        with self._lock:
            left = self._busy[subscription_id] - 1
            if left:
                self._busy[subscription_id] = left
            else:
                del self._busy[subscription_id]


class Deliver:
    """``webhook`` items: one signed POST, sent while no transaction is open."""

    def __init__(
        self,
        database: Database,
        sender: Sender,
        *,
        disable_after: timedelta,
        quiet_gap: timedelta,
        per_endpoint: int = 2,
        wall_clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.sender = sender
        self.slots = EndpointSlots(per_endpoint)
        self.disable_after = disable_after
        # No failure for longer than the longest retry delay: the endpoint was not failing all
        # along, it just had nothing to receive; the next failure starts a new window.
        self.quiet_gap = quiet_gap
        # The signature's timestamp is when the request leaves, by the real clock: receivers
        # compare it with theirs. (Scheduling uses the worker's clock, which tests may fix.)
        self.wall_clock = wall_clock

    def close(self) -> None:
        self.sender.close()

    def perform(self, item: ClaimedItem, now: datetime) -> Recorder:
        with self.database.read() as tx:
            repository = WebhooksRepository(tx, item.studio_id)
            delivery = repository.delivery(item.entity_id)
            subscription = repository.subscription(delivery.subscription_id) if delivery else None
        if delivery is None or subscription is None:
            log.warning("webhook delivery %s no longer exists; nothing to send", item.entity_id)
            return lambda tx, attempt: Outcome()
        if delivery.state != DeliveryState.PENDING.value:
            # Finished already (a copy of its queue entry): sending again would duplicate it.
            log.warning("webhook delivery %s is %s; not sent again", delivery.id, delivery.state)
            return lambda tx, attempt: Outcome()
        if subscription.deleted_at is not None or subscription.status != WebhookStatus.ACTIVE.value:
            why = "deleted" if subscription.deleted_at is not None else "disabled"
            return lambda tx, attempt: self._cancel(tx, item, f"subscription {why}", now)
        if not self.slots.take(subscription.id):
            # The endpoint already has its share of this worker's threads busy: try it again a
            # moment later, so a slow endpoint's backlog cannot occupy every thread.
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
                api_key=subscription.api_key,
                signing_secret=subscription.signing_secret,
                event_uuid=delivery.event_uuid,
                body=body,
                sent_at=self.wall_clock(),
            )
            result = self.sender.post(subscription.url, body, headers)
        finally:
            self.slots.give_back(subscription.id)
        return lambda tx, attempt: self._record(tx, item, subscription.id, attempt, result)

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
        if result.succeeded:
            rules.finish(delivery, DeliveryState.SUCCEEDED, attempt.now)
            repository.save_delivery(delivery)
            repository.healthy(subscription_id)
            return Outcome()
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
