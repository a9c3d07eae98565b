"""Messages studio-comms sends itself, recorded in the customer's timeline.

The ``messages`` package calls these: a sent message is an OUTGOING communication carrying the
receipt of the decision that let it go (or stopped it), and each delivery status it reaches is a
timeline entry of that communication.
"""

from __future__ import annotations

from datetime import datetime

from studio_comms.communications.errors import ThreadNotFound
from studio_comms.communications.repository import ThreadsRepository
from studio_comms.communications.schemas import (
    AuthorizationReceipt,
    CommunicationDirection,
    CommunicationThreadRequest,
    CommunicationThreadStatus,
)
from studio_comms.communications.service import _communication_created, _store
from studio_comms.core.vocabulary import CommunicationChannel, MessageCategory
from studio_comms.db.tx import Tx
from studio_comms.outbox.service import EventType, enqueue

SUBJECT_LENGTH = 255


def subject_of(subject: str | None, content: str) -> str:
    """A text message has no subject: its timeline entry is titled by its first line."""
    if subject and subject.strip():
        return subject[:SUBJECT_LENGTH]
    first_line = content.strip().splitlines()[0] if content.strip() else "(no content)"
    return first_line[:SUBJECT_LENGTH]


def require_thread(tx: Tx, studio_id: int, customer_id: int, thread_id: int) -> None:
    """Raise ``ThreadNotFound`` unless the customer has this thread (another studio's: not found)."""
    if ThreadsRepository(tx, studio_id).get(customer_id, thread_id) is None:
        raise ThreadNotFound(threadId=thread_id)


def record_message(
    tx: Tx,
    studio_id: int,
    customer_id: int,
    *,
    thread_id: int | None,
    category: MessageCategory,
    channel: CommunicationChannel,
    subject: str | None,
    content: str,
    receipt: AuthorizationReceipt,
    request_id: str | None,
    now: datetime,
) -> tuple[int, int]:
    """The message as an OUTGOING communication in the given thread or a new one; returns
    (thread id, communication id). A given thread keeps its status."""
    repository = ThreadsRepository(tx, studio_id)
    title = subject_of(subject, content)
    if thread_id is None:
        status = CommunicationThreadStatus.CREATED
        thread_id = repository.add(
            customer_id, status=status.value, subject=title, category=category.value, now=now
        )
        enqueue(
            tx,
            studio_id=studio_id,
            event_type=EventType.COMMUNICATION_THREAD_CREATED,
            entity_id=customer_id,
            now=now,
            content={
                "threadId": thread_id,
                "communicationThreadStatus": status.value,
                "messageCategory": category.value,
            },
        )
    else:
        thread = repository.get(customer_id, thread_id, lock=True)
        if thread is None:
            raise ThreadNotFound(threadId=thread_id)
        status = CommunicationThreadStatus(thread.status)
    # Not validated again: this is what was accepted (and, from the worker, what the server took
    # already); a limit that changed since must not turn a sent message into a failed one that is
    # sent again.
    data = CommunicationThreadRequest.model_construct(
        communicationThreadStatus=status,
        subject=title,
        content=content,
        communicationDirection=CommunicationDirection.OUTGOING,
        communicationChannel=channel,
        messageCategory=category,
    )
    communication = _store(
        repository, thread_id, customer_id, data, category, receipt, request_id=request_id, now=now
    )
    _communication_created(tx, studio_id, communication, now=now)
    return thread_id, communication.id


def add_delivery_event(
    tx: Tx,
    studio_id: int,
    *,
    thread_id: int,
    communication_id: int,
    message_id: int,
    status: str,
    reason: str | None,
    now: datetime,
) -> None:
    """A delivery status of the message behind ``communication_id``, shown in its thread."""
    ThreadsRepository(tx, studio_id).add_delivery_event(
        thread_id, communication_id, message_id=message_id, status=status, reason=reason, now=now
    )
