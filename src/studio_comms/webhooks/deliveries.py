"""Deliveries: one per event and subscription, each with its attempts; fan-out, test, replay."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from studio_comms.core.schemas import Slice
from studio_comms.core.slicing import make_slice, parse_offset
from studio_comms.outbox import queue
from studio_comms.outbox.queue import ClaimedItem
from studio_comms.outbox.service import WEBHOOK_KIND, EventType, enqueue_delivery
from studio_comms.webhooks import repository
from studio_comms.webhooks.errors import DeliveryPending, WebhookDisabled
from studio_comms.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from studio_comms.webhooks.schemas import (
    DeliveryAttemptRead,
    DeliveryQueued,
    DeliveryRead,
    DeliveryState,
    WebhookStatus,
)


def _queue(
    session: Session,
    subscription: WebhookSubscription,
    *,
    event_uuid: str,
    event_type: str,
    entity_id: int,
    content: dict[str, Any] | None,
    occurred_at: datetime,
    now: datetime,
) -> WebhookDelivery:
    delivery = WebhookDelivery(
        studio_id=subscription.studio_id,
        subscription_id=subscription.id,
        event_uuid=event_uuid,
        event_type=event_type,
        entity_id=entity_id,
        content=content,
        occurred_at=occurred_at,
        state=DeliveryState.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    session.flush()
    enqueue_delivery(
        session, studio_id=subscription.studio_id, delivery_id=delivery.id, event_type=event_type, now=now
    )
    return delivery


def fan_out(session: Session, event: ClaimedItem, *, now: datetime) -> int:
    """One delivery per active subscription of the event's studio that wants its type.

    Each delivery is its own outbox item, so a slow or failing endpoint never holds up another.
    """
    subscriptions = session.scalars(
        select(WebhookSubscription).where(
            WebhookSubscription.studio_id == event.studio_id,
            WebhookSubscription.status == WebhookStatus.ACTIVE.value,
            WebhookSubscription.deleted_at.is_(None),
        )
    ).all()
    wanted = [s for s in subscriptions if s.event_types is None or event.event_type in s.event_types]
    for subscription in wanted:
        _queue(
            session,
            subscription,
            event_uuid=event.event_uuid,
            event_type=event.event_type,
            entity_id=event.entity_id,
            content=event.content,
            occurred_at=event.occurred_at,
            now=now,
        )
    return len(wanted)


def ping(session: Session, studio_id: int, webhook_id: int, *, now: datetime) -> DeliveryQueued:
    subscription = repository.subscription(session, studio_id, webhook_id)
    if subscription.status != WebhookStatus.ACTIVE.value:
        raise WebhookDisabled(webhookId=webhook_id)
    delivery = _queue(
        session,
        subscription,
        event_uuid=str(uuid.uuid4()),
        event_type=EventType.PING.value,
        entity_id=subscription.id,
        content=None,
        occurred_at=now,
        now=now,
    )
    return DeliveryQueued(deliveryId=delivery.id, eventUuid=delivery.event_uuid, state=DeliveryState.PENDING)


def retry(
    session: Session, studio_id: int, webhook_id: int, delivery_id: int, *, now: datetime
) -> DeliveryQueued:
    """Send a finished delivery again (same event uuid, so receivers can still deduplicate)."""
    subscription = repository.subscription(session, studio_id, webhook_id)
    delivery = repository.delivery(session, subscription.id, delivery_id, lock=True)
    if subscription.status != WebhookStatus.ACTIVE.value:
        raise WebhookDisabled(webhookId=webhook_id)
    if delivery.state == DeliveryState.PENDING.value:
        raise DeliveryPending(deliveryId=delivery_id)
    delivery.state = DeliveryState.PENDING.value
    delivery.next_attempt_at = now
    delivery.finished_at = None
    # Its own queue entry, made due again: one entry per delivery, whatever is replayed.
    if not queue.revive(session, kind=WEBHOOK_KIND, entity_id=delivery.id, now=now):
        enqueue_delivery(
            session, studio_id=studio_id, delivery_id=delivery.id, event_type=delivery.event_type, now=now
        )
    return DeliveryQueued(deliveryId=delivery.id, eventUuid=delivery.event_uuid, state=DeliveryState.PENDING)


def list_deliveries(
    session: Session, studio_id: int, webhook_id: int, *, offset: str | None, slice_size: int
) -> Slice[DeliveryRead]:
    """Newest first."""
    subscription = repository.subscription(session, studio_id, webhook_id)
    after = parse_offset(offset)
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
    if after is not None:
        query = query.where(WebhookDelivery.id < after)
    rows = session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(slice_size + 1)).all()
    attempts = _attempts_of([row.id for row in rows[:slice_size]], session)
    result, next_offset, has_next = make_slice(
        rows,
        slice_size=slice_size,
        previous_offset=offset,
        cursor=lambda row: row.id,
        convert=lambda row: _read(row, attempts.get(row.id, [])),
    )
    return Slice[DeliveryRead](result=result, offset=next_offset, hasNext=has_next)


def _attempts_of(delivery_ids: list[int], session: Session) -> dict[int, list[WebhookAttempt]]:
    grouped: dict[int, list[WebhookAttempt]] = {}
    if delivery_ids:
        for attempt in session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(delivery_ids))
            .order_by(WebhookAttempt.id)
        ):
            grouped.setdefault(attempt.delivery_id, []).append(attempt)
    return grouped


def _read(delivery: WebhookDelivery, attempts: list[WebhookAttempt]) -> DeliveryRead:
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


def reopen(session: Session, delivery_ids: list[int], *, now: datetime) -> None:
    """Dead deliveries whose outbox items an operator made due again (``outbox retry-dead``)."""
    for delivery in session.scalars(
        select(WebhookDelivery).where(
            WebhookDelivery.id.in_(delivery_ids), WebhookDelivery.state == DeliveryState.DEAD.value
        )
    ):
        delivery.state = DeliveryState.PENDING.value
        delivery.next_attempt_at = now
        delivery.finished_at = None
