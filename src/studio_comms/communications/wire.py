"""Rows to wire models (shared by the write answers and the timeline)."""

from __future__ import annotations

from studio_comms.communications.repository import CommunicationRow, ThreadRow
from studio_comms.communications.schemas import (
    AuthorizationReceipt,
    CommunicationDirection,
    CommunicationRead,
    CommunicationThreadResponse,
    CommunicationThreadStatus,
    CommunicationThreadSummary,
    DeliveryEventRead,
)
from studio_comms.core.vocabulary import CommunicationChannel, MessageCategory
from studio_comms.preferences.rules import Rule
from studio_comms.studios.schemas import ConsentEnforcement


def receipt_of(communication: CommunicationRow) -> AuthorizationReceipt | None:
    if communication.authorization_rule is None or communication.authorized_at is None:
        return None
    return AuthorizationReceipt(
        permitted=bool(communication.authorization_permitted),
        reason=Rule(communication.authorization_rule),
        messageCategory=MessageCategory(communication.message_category),
        communicationChannel=CommunicationChannel(communication.channel),
        ledgerEntryId=communication.authorization_ledger_entry_id,
        blockReason=communication.authorization_block_reason,
        enforcement=ConsentEnforcement(communication.authorization_enforcement or "REJECT"),
        decidedAt=communication.authorized_at,
    )


def to_response(communication: CommunicationRow) -> CommunicationThreadResponse:
    return CommunicationThreadResponse(
        customerId=communication.customer_id,
        communicationId=communication.id,
        threadId=communication.thread_id,
        communicationThreadStatus=CommunicationThreadStatus(communication.thread_status),
        ticketNumber=communication.ticket_number,
        subject=communication.subject,
        content=communication.content,
        communicationDirection=CommunicationDirection(communication.direction),
        ticketLink=communication.ticket_link,
        communicationChannel=CommunicationChannel(communication.channel),
        agent=communication.agent,
        messageCategory=MessageCategory(communication.message_category),
        communicationDateTime=communication.communicated_at,
        requestId=communication.request_id,
        authorization=receipt_of(communication),
    )


def to_read(
    communication: CommunicationRow, delivery_events: list[DeliveryEventRead] | None = None
) -> CommunicationRead:
    return CommunicationRead(
        communicationId=communication.id,
        communicationThreadStatus=CommunicationThreadStatus(communication.thread_status),
        subject=communication.subject,
        content=communication.content,
        communicationDirection=CommunicationDirection(communication.direction),
        communicationChannel=CommunicationChannel(communication.channel),
        messageCategory=MessageCategory(communication.message_category),
        ticketNumber=communication.ticket_number,
        ticketLink=communication.ticket_link,
        agent=communication.agent,
        communicationDateTime=communication.communicated_at,
        requestId=communication.request_id,
        authorization=receipt_of(communication),
        deliveryEvents=delivery_events,
    )


def to_summary(thread: ThreadRow) -> CommunicationThreadSummary:
    return CommunicationThreadSummary(
        threadId=thread.id,
        customerId=thread.customer_id,
        communicationThreadStatus=CommunicationThreadStatus(thread.status),
        subject=thread.subject,
        messageCategory=MessageCategory(thread.message_category) if thread.message_category else None,
        createdAt=thread.created_at,
        updatedAt=thread.updated_at,
    )
