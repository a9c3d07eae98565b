"""Timeline reads (extensions): a customer's threads and one thread with its communications."""

from __future__ import annotations

from studio_comms.communications.errors import ThreadNotFound
from studio_comms.communications.repository import ThreadsRepository
from studio_comms.communications.schemas import (
    CommunicationThreadRead,
    CommunicationThreadStatus,
    CommunicationThreadSummary,
    DeliveryEventRead,
)
from studio_comms.communications.wire import to_read, to_summary
from studio_comms.core.schemas import Slice
from studio_comms.core.slicing import slice_of
from studio_comms.customers.service import require_customer
from studio_comms.db.tx import Tx


def list_threads(
    tx: Tx,
    studio_id: int,
    customer_id: int,
    *,
    status: CommunicationThreadStatus | None,
    offset: str | None,
    slice_size: int,
) -> Slice[CommunicationThreadSummary]:
    """Newest thread first."""
    require_customer(tx, studio_id, customer_id)
    repository = ThreadsRepository(tx, studio_id)
    return slice_of(
        CommunicationThreadSummary,
        offset,
        slice_size,
        lambda before, limit: repository.newest_first(
            customer_id, status=status.value if status else None, before=before, limit=limit
        ),
        to_summary,
    )


def get_thread(tx: Tx, studio_id: int, customer_id: int, thread_id: int) -> CommunicationThreadRead:
    """The thread with its communications, oldest first."""
    require_customer(tx, studio_id, customer_id)
    repository = ThreadsRepository(tx, studio_id)
    thread = repository.get(customer_id, thread_id)
    if thread is None:
        raise ThreadNotFound(threadId=thread_id)
    summary = to_summary(thread)
    events: dict[int, list[DeliveryEventRead]] = {}
    for event in repository.delivery_events(thread.id):
        events.setdefault(event.communication_id, []).append(
            DeliveryEventRead(
                messageId=event.message_id,
                status=event.status,
                reason=event.reason,
                occurredAt=event.occurred_at,
            )
        )
    return CommunicationThreadRead(
        **summary.model_dump(),
        communications=[to_read(c, events.get(c.id)) for c in repository.communications(thread.id)],
    )
