"""Appending events to the outbox, inside the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from studio_comms.outbox.models import OutboxItem
from studio_comms.outbox.wakeup import notify

# An event that happened; the worker fans it out to the matching webhook subscriptions.
EVENT_KIND = "event"
# One webhook delivery (entity_id: the delivery's id) to send.
WEBHOOK_KIND = "webhook"


class EventType(StrEnum):
    # Sport Alliance's own event: entityId is the customer id.
    CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED = "CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED"
    # Extensions (Sport Alliance has no thread events); entityId is the customer id too.
    COMMUNICATION_THREAD_CREATED = "COMMUNICATION_THREAD_CREATED"
    COMMUNICATION_CREATED = "COMMUNICATION_CREATED"
    COMMUNICATION_THREAD_STATUS_CHANGED = "COMMUNICATION_THREAD_STATUS_CHANGED"
    # Sent to one subscription on request (POST /v1/webhooks/{id}/test); entityId is the webhook id.
    PING = "PING"


# What a subscription can ask for (PING goes only to the subscription that asked for it).
SUBSCRIBABLE_EVENT_TYPES = tuple(event for event in EventType if event is not EventType.PING)


def _add(
    session: Session,
    *,
    kind: str,
    studio_id: int,
    event_type: str,
    entity_id: int,
    now: datetime,
    content: dict[str, Any] | None,
) -> OutboxItem:
    item = OutboxItem(
        kind=kind,
        studio_id=studio_id,
        # For an event, the uuid partners see; for other kinds, the row's own unique id.
        event_uuid=str(uuid.uuid4()),
        event_type=event_type,
        entity_id=entity_id,
        content=content,
        occurred_at=now,
        available_at=now,
        attempts=0,
    )
    session.add(item)
    notify(session)
    return item


def enqueue(
    session: Session,
    *,
    studio_id: int,
    event_type: EventType,
    entity_id: int,
    now: datetime,
    content: dict[str, Any] | None = None,
) -> OutboxItem:
    """An event; ``entity_id`` is the customer's id (Sport Alliance's ``entityId``).

    Absent values are left out of ``content`` rather than sent as ``null``: receivers typed
    after the documented fields must not meet a null where a value is promised.
    """
    return _add(
        session,
        kind=EVENT_KIND,
        studio_id=studio_id,
        event_type=event_type.value,
        entity_id=entity_id,
        now=now,
        content=None if content is None else {k: v for k, v in content.items() if v is not None},
    )


def enqueue_delivery(
    session: Session, *, studio_id: int, delivery_id: int, event_type: str, now: datetime
) -> OutboxItem:
    """One webhook delivery to send; its row (``webhooks``) holds the event and its uuid."""
    return _add(
        session,
        kind=WEBHOOK_KIND,
        studio_id=studio_id,
        event_type=event_type,
        entity_id=delivery_id,
        now=now,
        content=None,
    )
