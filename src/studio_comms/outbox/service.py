"""Appending events to the outbox, inside the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from studio_comms.db.tx import Tx
from studio_comms.outbox import queue

# An event that happened; the worker fans it out to the matching webhook subscriptions.
EVENT_KIND = "event"
# One webhook delivery (entity_id: the delivery's id) to send.
WEBHOOK_KIND = "webhook"
# One message (entity_id: the message's id) for studio-comms to send itself (``messages``).
MESSAGE_KIND = "message"


class EventType(StrEnum):
    # Sport Alliance's own event: entityId is the customer id.
    CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED = "CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED"
    # Extensions (Sport Alliance has no thread events); entityId is the customer id too.
    COMMUNICATION_THREAD_CREATED = "COMMUNICATION_THREAD_CREATED"
    COMMUNICATION_CREATED = "COMMUNICATION_CREATED"
    COMMUNICATION_THREAD_STATUS_CHANGED = "COMMUNICATION_THREAD_STATUS_CHANGED"
    # A message studio-comms sends moved on (SENT, DELIVERED, SUPPRESSED …); entityId: the customer.
    MESSAGE_STATUS_CHANGED = "MESSAGE_STATUS_CHANGED"
    # Sent to one subscription on request (POST /v1/webhooks/{id}/test); entityId is the webhook id.
    PING = "PING"


# What a subscription can ask for (PING goes only to the subscription that asked for it).
SUBSCRIBABLE_EVENT_TYPES = tuple(event for event in EventType if event is not EventType.PING)


def enqueue(
    tx: Tx,
    *,
    studio_id: int,
    event_type: EventType,
    entity_id: int,
    now: datetime,
    content: dict[str, Any] | None = None,
) -> str:
    """An event; ``entity_id`` is the customer's id (Sport Alliance's ``entityId``). Returns its uuid.

    Absent values are left out of ``content`` rather than sent as ``null``: receivers typed
    after the documented fields must not meet a null where a value is promised.
    """
    event_uuid = str(uuid.uuid4())
    queue.add(
        tx,
        kind=EVENT_KIND,
        event_uuid=event_uuid,
        studio_id=studio_id,
        event_type=event_type.value,
        entity_id=entity_id,
        now=now,
        content=None if content is None else {k: v for k, v in content.items() if v is not None},
    )
    return event_uuid


def enqueue_delivery(
    tx: Tx, *, studio_id: int, delivery_id: int, event_type: str, now: datetime, later: bool = False
) -> None:
    """One webhook delivery to send; its row (``webhooks``) holds the event and its uuid.
    ``later``: written when the transaction ends (``Tx.later``)."""
    queue.add(
        tx,
        later=later,
        kind=WEBHOOK_KIND,
        # The row's own unique id (the delivery row holds the event's uuid partners see).
        event_uuid=str(uuid.uuid4()),
        studio_id=studio_id,
        event_type=event_type,
        entity_id=delivery_id,
        now=now,
        content=None,
    )


def enqueue_messages(tx: Tx, *, studio_id: int, message_ids: list[int], now: datetime) -> None:
    """Messages to send (``messages``); many at once for a bulk request."""
    queue.add_many(
        tx, kind=MESSAGE_KIND, studio_id=studio_id, event_type=MESSAGE_KIND, entity_ids=message_ids, now=now
    )
