"""Threads and communications: store, check consent, record the receipt, append the events."""

from __future__ import annotations

from datetime import datetime

from studio_comms.communications.errors import CommunicationNotPermitted, ThreadNotFound
from studio_comms.communications.repository import (
    CommunicationRow,
    NewCommunication,
    ThreadRow,
    ThreadsRepository,
)
from studio_comms.communications.schemas import (
    AuthorizationReceipt,
    CommunicationDirection,
    CommunicationThreadRequest,
    CommunicationThreadResponse,
)
from studio_comms.communications.wire import to_response
from studio_comms.core.vocabulary import MessageCategory
from studio_comms.customers.service import require_customer
from studio_comms.db.tx import Tx
from studio_comms.outbox.service import EventType, enqueue
from studio_comms.preferences import service as preferences
from studio_comms.studios.schemas import ConsentEnforcement
from studio_comms.studios.service import consent_enforcement


def create_thread(
    tx: Tx,
    studio_id: int,
    customer_id: int,
    data: CommunicationThreadRequest,
    *,
    enforcement: ConsentEnforcement | None = None,
    request_id: str | None,
    now: datetime,
) -> CommunicationThreadResponse:
    """A new thread with its first communication. Nothing is stored when consent refuses it."""
    require_customer(tx, studio_id, customer_id)
    category = data.messageCategory or MessageCategory.GENERAL
    receipt = _authorize(tx, studio_id, customer_id, data, category, enforcement, now=now)
    repository = ThreadsRepository(tx, studio_id)
    status = data.communicationThreadStatus.value
    thread_category = data.messageCategory.value if data.messageCategory else None
    thread_id = repository.add(
        customer_id, status=status, subject=data.subject, category=thread_category, now=now
    )
    communication = _store(
        repository, thread_id, customer_id, data, category, receipt, request_id=request_id, now=now
    )
    enqueue(
        tx,
        studio_id=studio_id,
        event_type=EventType.COMMUNICATION_THREAD_CREATED,
        entity_id=customer_id,
        now=now,
        content={
            "threadId": thread_id,
            "communicationThreadStatus": status,
            # The category applied (GENERAL when the request named none), never null.
            "messageCategory": category.value,
        },
    )
    _communication_created(tx, studio_id, communication, now=now)
    return to_response(communication)


def append_communication(
    tx: Tx,
    studio_id: int,
    customer_id: int,
    thread_id: int,
    data: CommunicationThreadRequest,
    *,
    enforcement: ConsentEnforcement | None = None,
    request_id: str | None,
    now: datetime,
) -> CommunicationThreadResponse:
    """Add a communication and set the thread's status from it.

    A CLOSED thread takes new communications: the body's status becomes the thread's (a new
    message re-opens a ticket, as ticket systems do). The thread row is locked, so concurrent
    appends to one thread see each other's status changes.
    """
    require_customer(tx, studio_id, customer_id)
    repository = ThreadsRepository(tx, studio_id)
    thread: ThreadRow | None = repository.get(customer_id, thread_id, lock=True)
    if thread is None:
        raise ThreadNotFound(threadId=thread_id)
    category = data.messageCategory or MessageCategory(thread.message_category or "GENERAL")
    receipt = _authorize(tx, studio_id, customer_id, data, category, enforcement, now=now)
    status = data.communicationThreadStatus.value
    repository.set_status(thread.id, status, now=now)
    communication = _store(
        repository, thread.id, customer_id, data, category, receipt, request_id=request_id, now=now
    )
    _communication_created(tx, studio_id, communication, now=now)
    if thread.status != status:
        enqueue(
            tx,
            studio_id=studio_id,
            event_type=EventType.COMMUNICATION_THREAD_STATUS_CHANGED,
            entity_id=customer_id,
            now=now,
            content={"threadId": thread.id, "previousStatus": thread.status, "status": status},
        )
    return to_response(communication)


def _authorize(
    tx: Tx,
    studio_id: int,
    customer_id: int,
    data: CommunicationThreadRequest,
    category: MessageCategory,
    requested: ConsentEnforcement | None,
    *,
    now: datetime,
) -> AuthorizationReceipt | None:
    """INCOMING: no check. OUTGOING: the one decision; a denied one is recorded as such, or
    refused when the studio or the request (``requested``) chose REJECT."""
    if data.communicationDirection is CommunicationDirection.INCOMING:
        return None
    decision = preferences.decide(tx, studio_id, customer_id, category, data.communicationChannel)
    rejecting = ConsentEnforcement.REJECT in (consent_enforcement(tx, studio_id), requested)
    enforcement = ConsentEnforcement.REJECT if rejecting else ConsentEnforcement.RECORD
    if not decision.permitted and rejecting:
        raise CommunicationNotPermitted(
            reference="communicationChannel",
            category=category.value,
            channel=data.communicationChannel.value,
            rule=decision.rule.value,
        )
    return AuthorizationReceipt(
        permitted=decision.permitted,
        reason=decision.rule,
        messageCategory=category,
        communicationChannel=data.communicationChannel,
        ledgerEntryId=decision.ledger_entry_id,
        blockReason=decision.block_reason,
        enforcement=enforcement,
        decidedAt=now,
    )


def _store(
    repository: ThreadsRepository,
    thread_id: int,
    customer_id: int,
    data: CommunicationThreadRequest,
    category: MessageCategory,
    receipt: AuthorizationReceipt | None,
    *,
    request_id: str | None,
    now: datetime,
) -> CommunicationRow:
    communication = NewCommunication(
        thread_id=thread_id,
        customer_id=customer_id,
        thread_status=data.communicationThreadStatus.value,
        direction=data.communicationDirection.value,
        channel=data.communicationChannel.value,
        message_category=category.value,
        subject=data.subject,
        content=data.content,
        ticket_number=data.ticketNumber,
        ticket_link=data.ticketLink,
        agent=data.agent,
        communicated_at=data.communicationDateTime or now,
        created_at=now,
        request_id=request_id,
    )
    if receipt is not None:
        communication.authorization_permitted = receipt.permitted
        communication.authorization_rule = receipt.reason.value
        communication.authorization_ledger_entry_id = receipt.ledgerEntryId
        communication.authorization_block_reason = receipt.blockReason
        communication.authorization_enforcement = receipt.enforcement.value
        communication.authorized_at = receipt.decidedAt
    return repository.add_communication(communication)


def _communication_created(tx: Tx, studio_id: int, communication: CommunicationRow, *, now: datetime) -> None:
    content: dict[str, object] = {
        "threadId": communication.thread_id,
        "communicationId": communication.id,
        "direction": communication.direction,
        "channel": communication.channel,
        "category": communication.message_category,
    }
    if communication.authorization_permitted is not None:
        # OUTGOING: a receiver sees a communication the preferences did not permit (RECORD mode).
        content["permitted"] = communication.authorization_permitted
        content["rule"] = communication.authorization_rule
    enqueue(
        tx,
        studio_id=studio_id,
        event_type=EventType.COMMUNICATION_CREATED,
        entity_id=communication.customer_id,
        now=now,
        content=content,
    )
