"""Appending events to the outbox, inside the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from studio_comms.outbox.models import OutboxItem

EVENT_KIND = "event"


class EventType(StrEnum):
    # Sport Alliance's own event: entityId is the customer id.
    CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED = "CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED"
    # Extensions (Sport Alliance has no thread events); entityId is the customer id too.
    COMMUNICATION_THREAD_CREATED = "COMMUNICATION_THREAD_CREATED"
    COMMUNICATION_CREATED = "COMMUNICATION_CREATED"
    COMMUNICATION_THREAD_STATUS_CHANGED = "COMMUNICATION_THREAD_STATUS_CHANGED"


def enqueue(
    session: Session,
    *,
    studio_id: int,
    event_type: EventType,
    entity_id: int,
    now: datetime,
    content: dict[str, Any] | None = None,
) -> OutboxItem:
    item = OutboxItem(
        kind=EVENT_KIND,
        studio_id=studio_id,
        event_uuid=str(uuid.uuid4()),
        event_type=event_type.value,
        entity_id=entity_id,
        content=content,
        occurred_at=now,
        available_at=now,
        attempts=0,
    )
    session.add(item)
    return item
