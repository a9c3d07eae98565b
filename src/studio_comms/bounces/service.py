"""Bounces and complaints as suppressions, each effective change with a consent ledger entry.

- A permanent failure (DSN, 5.x.x) blocks EMAIL with ``BOUNCED`` for every customer of the
  studio with that address: the address is dead, whoever it belongs to.
- A complaint (ARF ``abuse``) switches the member's marketing mail off (NEWSLETTER and
  LOYALTY_PROGRAM, as the member's choice) and blocks EMAIL with ``COMPLAINED``. An operator who
  lifts the block after talking to the member (contract mail must reach them) leaves marketing
  off until the member turns it on again.

The studio is the one the returned message's Message-ID names
(``<studio-comms.{studioId}.{messageId}@…>``, the messages package's format) or the one the
caller names; the member is found by address within that studio, as customers store their
e-mail address (compared without case).
"""

from __future__ import annotations

from datetime import datetime

from studio_comms.bounces import mime
from studio_comms.bounces.arf import FeedbackReport, read_arf
from studio_comms.bounces.dsn import DeliveryReport, NotAReport, read_dsn
from studio_comms.bounces.errors import MailFeedbackMalformed, MailFeedbackUnattributed
from studio_comms.bounces.schemas import FeedbackKind, FeedbackRecipient, MailFeedbackResult
from studio_comms.core.audit import Audit, ChangeSource
from studio_comms.core.vocabulary import CommunicationChannel, MessageCategory
from studio_comms.customers.service import customers_with_email
from studio_comms.db.tx import Tx
from studio_comms.messages.schemas import MessageStatus
from studio_comms.messages.service import record_provider_status
from studio_comms.preferences.blocks import block_for_feedback
from studio_comms.preferences.schemas import SuppressionReason
from studio_comms.preferences.service import switch_off
from studio_comms.studios.service import require_studio

EMAIL = CommunicationChannel.EMAIL
MARKETING = ((MessageCategory.NEWSLETTER, EMAIL), (MessageCategory.LOYALTY_PROGRAM, EMAIL))


def ingest(tx: Tx, raw: bytes, *, studio_id: int | None, now: datetime) -> MailFeedbackResult:
    """Read ``raw`` (the whole message as the MTA received it) and act on it."""
    if not raw.strip():
        raise MailFeedbackMalformed()
    message = mime.parse(raw)
    try:
        delivery = read_dsn(message)
        feedback = read_arf(message) if delivery is None else None
    except NotAReport:
        raise MailFeedbackMalformed() from None
    if delivery is not None:
        return _bounced(tx, delivery, studio_id, now=now)
    if feedback is not None:
        return _complained(tx, feedback, studio_id, now=now)
    return MailFeedbackResult(kind=FeedbackKind.NOT_A_REPORT)


def _studio(named: int | None, original_message_id: str | None) -> int:
    ours = mime.our_message(original_message_id)
    if ours is not None and named is not None and ours[1] != named:
        raise MailFeedbackUnattributed(reference="studioId")
    if ours is not None:
        return ours[1]
    if named is None:
        raise MailFeedbackUnattributed(reference="studioId")
    return named


def _bounced(tx: Tx, report: DeliveryReport, named: int | None, *, now: datetime) -> MailFeedbackResult:
    studio_id = _studio(named, report.original_message_id)
    require_studio(tx, studio_id)
    audit = Audit(
        source=ChangeSource.BOUNCE,
        actor=f"dsn:{report.reporting_mta or 'unknown'}"[:200],
        request_id=(report.original_message_id or "")[:255] or None,
    )
    recipients = []
    for recipient in report.recipients:
        customer_ids = customers_with_email(tx, studio_id, recipient.address)
        if recipient.permanent_failure:
            for customer_id in customer_ids:
                block_for_feedback(
                    tx, studio_id, customer_id, EMAIL, SuppressionReason.BOUNCED, audit=audit, now=now
                )
        recipients.append(
            FeedbackRecipient(
                address=recipient.address,
                status=recipient.status,
                customerIds=customer_ids,
                suppressed=recipient.permanent_failure and bool(customer_ids),
            )
        )
    hard = any(recipient.permanent_failure for recipient in report.recipients)
    if hard and mime.our_message(report.original_message_id) is not None:
        # The message itself moves to BOUNCED (its history, its MESSAGE_STATUS_CHANGED event).
        record_provider_status(
            tx, studio_id, _bracketed(report.original_message_id or ""), MessageStatus.BOUNCED, now=now
        )
    return MailFeedbackResult(
        kind=FeedbackKind.HARD_BOUNCE if hard else FeedbackKind.SOFT_BOUNCE,
        studioId=studio_id,
        originalMessageId=report.original_message_id,
        recipients=recipients,
    )


def _complained(tx: Tx, report: FeedbackReport, named: int | None, *, now: datetime) -> MailFeedbackResult:
    studio_id = _studio(named, report.original_message_id)
    require_studio(tx, studio_id)
    result = MailFeedbackResult(
        kind=FeedbackKind.COMPLAINT if report.complaint else FeedbackKind.OTHER_FEEDBACK,
        studioId=studio_id,
        originalMessageId=report.original_message_id,
    )
    if report.recipient is None:
        return result
    customer_ids = customers_with_email(tx, studio_id, report.recipient)
    if report.complaint:
        audit = Audit(
            source=ChangeSource.COMPLAINT,
            actor=f"arf:{report.reporter or 'unknown'}"[:200],
            request_id=(report.original_message_id or "")[:255] or None,
        )
        for customer_id in customer_ids:
            # The choices first: once EMAIL is blocked, no choice of it can be recorded.
            switch_off(tx, studio_id, customer_id, MARKETING, audit=audit, now=now)
            block_for_feedback(
                tx, studio_id, customer_id, EMAIL, SuppressionReason.COMPLAINED, audit=audit, now=now
            )
    result.recipients = [
        FeedbackRecipient(
            address=report.recipient,
            customerIds=customer_ids,
            suppressed=report.complaint and bool(customer_ids),
        )
    ]
    return result


def _bracketed(message_id: str) -> str:
    """The Message-ID as we sent it (``<…>``): reports quote it with or without the brackets."""
    bare = message_id.strip().removeprefix("<").removesuffix(">")
    return f"<{bare}>"
