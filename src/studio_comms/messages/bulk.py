"""One message to many customers: each decided like a single one, its placeholders filled in.

The accept path is built for 10,000 recipients in one request: the studio's customers and the
slot's decisions are read once, the messages, their history and their queue entries are written
in one round of statements each. Each message becomes its customer's OUTGOING communication
when the worker takes it up (``sending``), not here: that keeps the request short.
"""

from __future__ import annotations

from datetime import datetime

from studio_comms.core import metrics
from studio_comms.core.errors import Invalid
from studio_comms.core.vocabulary import CommunicationChannel, MessageCategory
from studio_comms.customers.service import all_customers
from studio_comms.db.tx import Tx
from studio_comms.messages import marketing
from studio_comms.messages.errors import BatchNotFound
from studio_comms.messages.placeholders import Member, TooLong, parse_fields
from studio_comms.messages.repository import BatchMessages, MemberText, MessagesRepository, StatusChange
from studio_comms.messages.schemas import (
    BatchRead,
    BulkAccepted,
    BulkMessageCreate,
    MessageStatus,
    Refusal,
    SendChannel,
)
from studio_comms.messages.service import address_of
from studio_comms.outbox.service import enqueue_messages
from studio_comms.preferences import service as preferences
from studio_comms.studios.service import require_studio

CUSTOMER_NOT_FOUND = "CUSTOMER_NOT_FOUND"
NO_ADDRESS = "NO_ADDRESS"
# A field over its limit once this member's values are filled in: the member is not queued.
RENDERED_TOO_LONG = "RENDERED_TOO_LONG"


def accept_bulk(tx: Tx, studio_id: int, body: BulkMessageCreate, *, now: datetime) -> BulkAccepted:
    channel = body.communicationChannel
    if channel is SendChannel.EMAIL and body.subject is None:
        raise Invalid(reference="subject", message_key="FIELD_REQUIRED", field="subject")
    templates = parse_fields(channel, subject=body.subject, content=body.content, html=body.html)
    is_marketing = marketing.decide(tx, studio_id, body.messageCategory, body.marketing)
    studio = require_studio(tx, studio_id)
    customers = all_customers(tx, studio_id)
    decide = preferences.decide_for_all(tx, studio_id, body.messageCategory, CommunicationChannel(channel))
    by_email = address_of("email", "phone", channel) == "email"
    refused: list[Refusal] = []
    accepted: list[tuple[int, dict[str, str], StatusChange]] = []
    for customer_id in body.customerIds:
        customer = customers.get(customer_id)
        if customer is None:
            refused.append(Refusal(customerId=customer_id, rule=CUSTOMER_NOT_FOUND))
            continue
        decision = decide(customer_id)
        if not decision.permitted:
            refused.append(Refusal(customerId=customer_id, rule=decision.rule.value))
            continue
        if not (customer.email if by_email else customer.phone_number):
            refused.append(Refusal(customerId=customer_id, rule=NO_ADDRESS))
            continue
        texts = templates.render(Member(customer.first_name, customer.last_name, studio.name))
        if isinstance(texts, TooLong):
            refused.append(Refusal(customerId=customer_id, rule=RENDERED_TOO_LONG))
            continue
        change = StatusChange(
            previous_status=None,
            status=MessageStatus.QUEUED.value,
            reason=None,
            occurred_at=now,
            decision_rule=decision.rule.value,
            ledger_entry_id=decision.ledger_entry_id,
            block_reason=decision.block_reason,
        )
        accepted.append((customer_id, texts, change))
    repository = MessagesRepository(tx, studio_id)
    batch_id = repository.add_batch(
        {
            "channel": channel.value,
            "category": body.messageCategory.value,
            "subject": body.subject,
            "content": body.content,
            "html": body.html,
            "accepted": len(accepted),
            "refused": len(refused),
        },
        now=now,
    )
    if accepted:
        shared = BatchMessages(
            batch_id=batch_id,
            channel=channel.value,
            category=body.messageCategory.value,
            status=MessageStatus.QUEUED.value,
            send_at=body.sendAt or now,
            marketing=is_marketing,
        )
        ids = repository.add_batch_messages(
            shared,
            [
                MemberText(
                    customer_id=customer_id,
                    subject=texts.get("subject"),
                    content=texts["content"],
                    html=texts.get("html"),
                )
                for customer_id, texts, _ in accepted
            ],
            now=now,
        )
        repository.add_acceptances(
            list(zip(ids, [change for _, _, change in accepted], strict=True)),
            status=MessageStatus.QUEUED.value,
            occurred_at=now,
        )
        enqueue_messages(tx, studio_id=studio_id, message_ids=ids, now=now)
        metrics.count_message(channel.value, MessageStatus.QUEUED.value, len(ids))
    return BulkAccepted(batchId=batch_id, accepted=len(accepted), refused=refused)


def get_batch(tx: Tx, studio_id: int, batch_id: int) -> BatchRead:
    repository = MessagesRepository(tx, studio_id)
    batch = repository.batch(batch_id)
    if batch is None:
        raise BatchNotFound(batchId=batch_id)
    return BatchRead(
        batchId=batch.id,
        messageCategory=MessageCategory(batch.category),
        communicationChannel=SendChannel(batch.channel),
        accepted=batch.accepted,
        refused=batch.refused,
        createdAt=batch.created_at,
        statusCounts=repository.batch_counts(batch_id),
    )
