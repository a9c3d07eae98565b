"""Messages: accept one (checked, recorded, queued), read its history, move its status.

Every status change is one place (:func:`change_status`): the row, its history entry, the
``MESSAGE_STATUS_CHANGED`` event and the timeline entry of its communication, in the caller's
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from studio_comms.communications import sent
from studio_comms.communications.schemas import AuthorizationReceipt
from studio_comms.core import metrics
from studio_comms.core.errors import Invalid
from studio_comms.core.vocabulary import CommunicationChannel, MessageCategory
from studio_comms.customers.service import find_customer, require_customer
from studio_comms.db.tx import Tx
from studio_comms.messages import marketing
from studio_comms.messages.errors import MessageNotFound, MessageNotPermitted, NoAddress
from studio_comms.messages.placeholders import Member, parse_fields
from studio_comms.messages.repository import MessageRow, MessagesRepository, NewMessage, StatusChange
from studio_comms.messages.schemas import (
    MessageAccepted,
    MessageCreate,
    MessageRead,
    MessageStatus,
    SendChannel,
    StatusChangeRead,
)
from studio_comms.outbox.service import EventType, enqueue, enqueue_messages
from studio_comms.preferences import service as preferences
from studio_comms.preferences.rules import Decision, Rule
from studio_comms.studios.schemas import ConsentEnforcement
from studio_comms.studios.service import require_studio

# Where a message may still go; anything else is final (a provider's later word aside).
PENDING = frozenset({MessageStatus.QUEUED.value, MessageStatus.DEFERRED.value})
# What a provider's callback may report about a SENT message, and from which status.
PROVIDER_TRANSITIONS: dict[MessageStatus, frozenset[str]] = {
    MessageStatus.DELIVERED: frozenset({MessageStatus.SENT.value}),
    MessageStatus.FAILED: frozenset({MessageStatus.SENT.value}),
    # A bounce may come after the receiving server first said it delivered.
    MessageStatus.BOUNCED: frozenset({MessageStatus.SENT.value, MessageStatus.DELIVERED.value}),
}


def address_of(email: str | None, phone: str | None, channel: SendChannel | str) -> str | None:
    return email if SendChannel(channel) is SendChannel.EMAIL else phone


def receipt_of(
    decision: Decision, category: MessageCategory, channel: str, now: datetime
) -> AuthorizationReceipt:
    # Sending always enforces: the receipt says REJECT whatever the studio records.
    return AuthorizationReceipt(
        permitted=decision.permitted,
        reason=decision.rule,
        messageCategory=category,
        communicationChannel=CommunicationChannel(channel),
        ledgerEntryId=decision.ledger_entry_id,
        blockReason=decision.block_reason,
        enforcement=ConsentEnforcement.REJECT,
        decidedAt=now,
    )


def accept_message(
    tx: Tx, studio_id: int, customer_id: int, data: MessageCreate, *, request_id: str | None, now: datetime
) -> MessageAccepted:
    """Check the decision (refused: 409, nothing stored), fill in the placeholders as a bulk
    send does (a field over its limit: 400 ``RENDERED_TOO_LONG``), record the OUTGOING
    communication and queue the message for the worker, which checks again just before it sends."""
    require_customer(tx, studio_id, customer_id)
    channel = data.communicationChannel
    if channel is SendChannel.EMAIL and data.subject is None:
        raise Invalid(reference="subject", message_key="FIELD_REQUIRED", field="subject")
    templates = parse_fields(channel, subject=data.subject, content=data.content, html=data.html)
    is_marketing = marketing.decide(tx, studio_id, data.messageCategory, data.marketing)
    if data.threadId is not None:
        sent.require_thread(tx, studio_id, customer_id, data.threadId)
    decision = preferences.decide(
        tx, studio_id, customer_id, data.messageCategory, CommunicationChannel(channel)
    )
    if not decision.permitted:
        raise MessageNotPermitted(
            reference="communicationChannel",
            category=data.messageCategory.value,
            channel=channel.value,
            rule=decision.rule.value,
        )
    customer = find_customer(tx, studio_id, customer_id)
    if customer is None or not address_of(customer.email, customer.phone_number, channel):
        raise NoAddress(reference="communicationChannel", customerId=customer_id, channel=channel.value)
    member = Member(customer.first_name, customer.last_name, require_studio(tx, studio_id).name)
    texts = templates.render_or_refuse(member)
    receipt = receipt_of(decision, data.messageCategory, channel.value, now)
    thread_id, communication_id = sent.record_message(
        tx,
        studio_id,
        customer_id,
        thread_id=data.threadId,
        category=data.messageCategory,
        channel=CommunicationChannel(channel),
        subject=texts.get("subject"),
        content=texts["content"],
        receipt=receipt,
        request_id=request_id,
        now=now,
    )
    repository = MessagesRepository(tx, studio_id)
    message_id = repository.add(
        NewMessage(
            customer_id=customer_id,
            channel=channel.value,
            category=data.messageCategory.value,
            subject=texts.get("subject"),
            content=texts["content"],
            html=texts.get("html"),
            status=MessageStatus.QUEUED.value,
            send_at=data.sendAt or now,
            thread_id=thread_id,
            communication_id=communication_id,
            marketing=is_marketing,
        ),
        now=now,
    )
    repository.add_change(message_id, _accepted(decision, now))
    metrics.count_message(channel.value, MessageStatus.QUEUED.value)
    sent.add_delivery_event(
        tx,
        studio_id,
        thread_id=thread_id,
        communication_id=communication_id,
        message_id=message_id,
        status=MessageStatus.QUEUED.value,
        reason=None,
        now=now,
    )
    enqueue_messages(tx, studio_id=studio_id, message_ids=[message_id], now=now)
    return MessageAccepted(
        messageId=message_id,
        threadId=thread_id,
        communicationId=communication_id,
        status=MessageStatus.QUEUED,
        authorization=receipt,
    )


def _accepted(decision: Decision, now: datetime) -> StatusChange:
    return StatusChange(
        previous_status=None,
        status=MessageStatus.QUEUED.value,
        reason=None,
        occurred_at=now,
        decision_rule=decision.rule.value,
        ledger_entry_id=decision.ledger_entry_id,
        block_reason=decision.block_reason,
    )


def get_message(tx: Tx, studio_id: int, message_id: int) -> MessageRead:
    repository = MessagesRepository(tx, studio_id)
    message = repository.get(message_id)
    if message is None:
        raise MessageNotFound(messageId=message_id)
    return MessageRead(
        messageId=message.id,
        customerId=message.customer_id,
        batchId=message.batch_id,
        threadId=message.thread_id,
        communicationId=message.communication_id,
        messageCategory=MessageCategory(message.category),
        communicationChannel=SendChannel(message.channel),
        subject=message.subject,
        status=MessageStatus(message.status),
        statusReason=message.status_reason,
        sendAt=message.send_at,
        attempts=message.attempts,
        providerMessageId=message.provider_message_id,
        messageIdHeader=message.message_id_header,
        marketing=message.marketing,
        createdAt=message.created_at,
        statusHistory=[
            StatusChangeRead(
                status=MessageStatus(change.status),
                previousStatus=MessageStatus(change.previous_status) if change.previous_status else None,
                reason=change.reason,
                rule=Rule(change.decision_rule) if change.decision_rule else None,
                ledgerEntryId=change.ledger_entry_id,
                blockReason=change.block_reason,
                occurredAt=change.occurred_at,
            )
            for change in repository.changes(message.id)
        ],
    )


def change_status(
    tx: Tx,
    studio_id: int,
    message: MessageRow,
    status: MessageStatus,
    *,
    reason: str | None = None,
    decision: Decision | None = None,
    now: datetime,
) -> None:
    """Move ``message`` (loaded with its lock) to ``status``: row, history, event, timeline."""
    previous = message.status
    message.status = status.value
    message.status_reason = reason
    repository = MessagesRepository(tx, studio_id)
    repository.save(message, now=now)
    metrics.count_message(message.channel, status.value)
    repository.add_change(
        message.id,
        StatusChange(
            previous_status=previous,
            status=status.value,
            reason=reason,
            occurred_at=now,
            decision_rule=decision.rule.value if decision else None,
            ledger_entry_id=decision.ledger_entry_id if decision else None,
            block_reason=decision.block_reason if decision else None,
        ),
    )
    enqueue(
        tx,
        studio_id=studio_id,
        event_type=EventType.MESSAGE_STATUS_CHANGED,
        entity_id=message.customer_id,
        now=now,
        content={
            "messageId": message.id,
            "status": status.value,
            "previousStatus": previous,
            "reason": reason,
            "rule": decision.rule.value if decision else None,
            "channel": message.channel,
            "category": message.category,
            "threadId": message.thread_id,
            "communicationId": message.communication_id,
            "batchId": message.batch_id,
        },
    )
    if message.thread_id is not None and message.communication_id is not None:
        sent.add_delivery_event(
            tx,
            studio_id,
            thread_id=message.thread_id,
            communication_id=message.communication_id,
            message_id=message.id,
            status=status.value,
            reason=reason,
            now=now,
        )


def record_provider_status(
    tx: Tx,
    studio_id: int,
    provider_message_id: str,
    status: MessageStatus,
    *,
    reason: str | None = None,
    now: datetime,
) -> int | None:
    """A provider's word on a SENT message (status callback, DSN bounce): SENT → DELIVERED, FAILED
    or BOUNCED (DELIVERED → BOUNCED too). Returns the message's id; None when no message of the
    studio has this provider id. A report that does not fit the message's status (a late
    DELIVERED after BOUNCED, a repeat) changes nothing."""
    allowed = PROVIDER_TRANSITIONS.get(status)
    if allowed is None:
        raise ValueError(f"a provider cannot report {status.value}")
    message = MessagesRepository(tx, studio_id).by_provider_id(provider_message_id)
    if message is None:
        return None
    if message.status in allowed:
        change_status(tx, studio_id, message, status, reason=reason, now=now)
    return message.id


@dataclass(frozen=True, slots=True)
class SentEmail:
    """An e-mail studio-comms handed to the mail system, as a bounce or complaint may name it."""

    message_id: int
    customer_id: int
    # The Message-ID it went out with (set when the transport took it).
    message_id_header: str
    # The member's address now: one changed since the send is no longer theirs to suppress.
    address: str | None


def sent_email(tx: Tx, studio_id: int, message_id: int) -> SentEmail | None:
    """The studio's e-mail with this number if it was handed to the mail system, else None (no
    such message, an SMS, one never sent)."""
    message = MessagesRepository(tx, studio_id).get(message_id)
    if message is None or message.channel != SendChannel.EMAIL.value or message.message_id_header is None:
        return None
    customer = find_customer(tx, studio_id, message.customer_id)
    return SentEmail(
        message_id=message.id,
        customer_id=message.customer_id,
        message_id_header=message.message_id_header,
        address=customer.email if customer is not None else None,
    )
