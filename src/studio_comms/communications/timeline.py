"""Timeline reads (extensions): a customer's threads and one thread with its communications."""

from __future__ import annotations

from sqlalchemy.orm import Session

from studio_comms.communications.errors import ThreadNotFound
from studio_comms.communications.repository import ThreadsRepository
from studio_comms.communications.schemas import (
    CommunicationThreadRead,
    CommunicationThreadStatus,
    CommunicationThreadSummary,
)
from studio_comms.communications.wire import to_read, to_summary
from studio_comms.core.schemas import Slice
from studio_comms.core.slicing import make_slice, parse_offset
from studio_comms.customers.repository import CustomersRepository


def list_threads(
    session: Session,
    studio_id: int,
    customer_id: int,
    *,
    status: CommunicationThreadStatus | None,
    offset: str | None,
    slice_size: int,
) -> Slice[CommunicationThreadSummary]:
    """Newest thread first."""
    CustomersRepository(session, studio_id).require(customer_id)
    rows = ThreadsRepository(session, studio_id).newest_first(
        customer_id,
        status=status.value if status else None,
        before_id=parse_offset(offset),
        limit=slice_size + 1,
    )
    result, next_offset, has_next = make_slice(
        rows, slice_size=slice_size, previous_offset=offset, cursor=lambda row: row.id, convert=to_summary
    )
    return Slice[CommunicationThreadSummary](result=result, offset=next_offset, hasNext=has_next)


def get_thread(session: Session, studio_id: int, customer_id: int, thread_id: int) -> CommunicationThreadRead:
    """The thread with its communications, oldest first."""
    CustomersRepository(session, studio_id).require(customer_id)
    repository = ThreadsRepository(session, studio_id)
    thread = repository.get(customer_id, thread_id)
    if thread is None:
        raise ThreadNotFound(threadId=thread_id)
    summary = to_summary(thread)
    return CommunicationThreadRead(
        **summary.model_dump(), communications=[to_read(c) for c in repository.communications(thread.id)]
    )
