"""Deliveries: one per event and subscription, each with its attempts; fan-out, test, replay."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from studio_comms.core.schemas import Slice
from studio_comms.core.slicing import slice_of
from studio_comms.db.tx import Tx
from studio_comms.outbox import queue
from studio_comms.outbox.queue import ClaimedItem
from studio_comms.outbox.service import WEBHOOK_KIND, EventType, enqueue_delivery
from studio_comms.webhooks import rules
from studio_comms.webhooks.errors import DeliveryNotFound, DeliveryPending, WebhookDisabled
from studio_comms.webhooks.repository import AttemptRow, Delivery, Subscription, WebhooksRepository
from studio_comms.webhooks.schemas import (
    DeliveryAttemptRead,
    DeliveryQueued,
    DeliveryRead,
    DeliveryState,
    WebhookStatus,
)
from studio_comms.webhooks.service import require_subscription


def _queue(
    repository: WebhooksRepository,
    subscription: Subscription,
    *,
    event_uuid: str,
    event_type: str,
    entity_id: int,
    content: dict[str, Any] | None,
    occurred_at: datetime,
    now: datetime,
) -> int:
    delivery_id = repository.add_delivery(
        subscription.id,
        event_uuid=event_uuid,
        event_type=event_type,
        entity_id=entity_id,
        content=content,
        occurred_at=occurred_at,
        now=now,
    )
    enqueue_delivery(
        repository.tx, studio_id=repository.studio_id, delivery_id=delivery_id, event_type=event_type, now=now
    )
    return delivery_id


def fan_out(tx: Tx, event: ClaimedItem, *, now: datetime) -> int:
    """One delivery per active subscription of the event's studio that wants its type.

    Each delivery is its own outbox item, so a slow or failing endpoint never holds up another.
    """
    repository = WebhooksRepository(tx, event.studio_id)
    # Events that finished together fan out in one transaction: their studio's subscriptions
    # are read once for all of them.
    active = tx.memo.get(("webhooks.active", event.studio_id))
    if active is None:
        active = tx.memo[("webhooks.active", event.studio_id)] = repository.subscriptions(active_only=True)
    wanted = [s for s in active if s.wants(event.event_type)]

    def enqueue(delivery_id: int) -> None:
        enqueue_delivery(
            tx, studio_id=event.studio_id, delivery_id=delivery_id, event_type=event.event_type, now=now,
            later=True,
        )  # fmt: skip

    # Written when the transaction ends, with the other events' deliveries: a round trip for all
    # the deliveries, one for all their queue entries (each needs its delivery's id).
    for subscription in wanted:
        repository.add_delivery_later(
            subscription.id,
            event_uuid=event.event_uuid,
            event_type=event.event_type,
            entity_id=event.entity_id,
            content=event.content,
            occurred_at=event.occurred_at,
            now=now,
            then=enqueue,
        )
    return len(wanted)


def ping(tx: Tx, studio_id: int, webhook_id: int, *, now: datetime) -> DeliveryQueued:
    repository = WebhooksRepository(tx, studio_id)
    subscription = require_subscription(repository, webhook_id)
    if subscription.status != WebhookStatus.ACTIVE.value:
        raise WebhookDisabled(webhookId=webhook_id)
    event_uuid = str(uuid.uuid4())
    delivery_id = _queue(
        repository,
        subscription,
        event_uuid=event_uuid,
        event_type=EventType.PING.value,
        entity_id=subscription.id,
        content=None,
        occurred_at=now,
        now=now,
    )
    return DeliveryQueued(deliveryId=delivery_id, eventUuid=event_uuid, state=DeliveryState.PENDING)


def _require_delivery(
    repository: WebhooksRepository, subscription: Subscription, delivery_id: int, *, lock: bool = False
) -> Delivery:
    delivery = repository.delivery(delivery_id, lock=lock)
    if delivery is None or delivery.subscription_id != subscription.id:
        raise DeliveryNotFound(deliveryId=delivery_id)
    return delivery


def retry(tx: Tx, studio_id: int, webhook_id: int, delivery_id: int, *, now: datetime) -> DeliveryQueued:
    """Send a finished delivery again (same event uuid, so receivers can still deduplicate)."""
    repository = WebhooksRepository(tx, studio_id)
    subscription = require_subscription(repository, webhook_id)
    delivery = _require_delivery(repository, subscription, delivery_id, lock=True)
    if subscription.status != WebhookStatus.ACTIVE.value:
        raise WebhookDisabled(webhookId=webhook_id)
    if delivery.state == DeliveryState.PENDING.value:
        raise DeliveryPending(deliveryId=delivery_id)
    rules.reopen(delivery, now)
    repository.save_delivery(delivery)
    # Its own queue entry, made due again: one entry per delivery, whatever is replayed.
    if not queue.revive(tx, kind=WEBHOOK_KIND, entity_id=delivery.id, now=now):
        enqueue_delivery(
            tx, studio_id=studio_id, delivery_id=delivery.id, event_type=delivery.event_type, now=now
        )
    return DeliveryQueued(deliveryId=delivery.id, eventUuid=delivery.event_uuid, state=DeliveryState.PENDING)


def list_deliveries(
    tx: Tx, studio_id: int, webhook_id: int, *, offset: str | None, slice_size: int
) -> Slice[DeliveryRead]:
    """Newest first, each with its attempts."""
    repository = WebhooksRepository(tx, studio_id)
    subscription = require_subscription(repository, webhook_id)
    attempts: dict[int, list[AttemptRow]] = {}

    def fetch(before: int, limit: int) -> list[Delivery]:
        rows = repository.deliveries(subscription.id, before=before, limit=limit)
        if rows:
            page = rows[: limit - 1]
            attempts.update(repository.attempts(subscription.id, before=before, oldest=page[-1].id))
        return rows

    return slice_of(DeliveryRead, offset, slice_size, fetch, lambda row: _read(row, attempts.get(row.id, [])))


def _read(delivery: Delivery, attempts: list[AttemptRow]) -> DeliveryRead:
    return DeliveryRead(
        deliveryId=delivery.id,
        webhookId=delivery.subscription_id,
        eventUuid=delivery.event_uuid,
        eventType=delivery.event_type,
        entityId=delivery.entity_id,
        state=DeliveryState(delivery.state),
        attempt=delivery.attempts,
        statusCode=delivery.last_status_code,
        durationMs=delivery.last_duration_ms,
        error=delivery.last_error,
        nextRetryAt=delivery.next_attempt_at if delivery.state == DeliveryState.PENDING.value else None,
        createdAt=delivery.created_at,
        finishedAt=delivery.finished_at,
        attempts=[
            DeliveryAttemptRead(
                attempt=attempt.attempt,
                attemptedAt=attempt.attempted_at,
                statusCode=attempt.status_code,
                durationMs=attempt.duration_ms,
                error=attempt.error,
            )
            for attempt in attempts
        ],
    )


def reopen_dead(tx: Tx, deliveries: list[tuple[int, int]], *, now: datetime) -> None:
    """Dead deliveries, as (studio, delivery), whose outbox items an operator made due again
    (``outbox retry-dead``)."""
    for studio_id, delivery_id in deliveries:
        repository = WebhooksRepository(tx, studio_id)
        delivery = repository.delivery(delivery_id, lock=True)
        if delivery is not None and delivery.state == DeliveryState.DEAD.value:
            rules.reopen(delivery, now)
            repository.save_delivery(delivery)
