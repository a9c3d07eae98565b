"""What Twilio posts back, once verified: delivery status of our messages, members' replies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from studio_comms.communications.schemas import (
    CommunicationDirection,
    CommunicationThreadRequest,
    CommunicationThreadStatus,
)
from studio_comms.communications.service import create_thread
from studio_comms.core.audit import Audit, ChangeSource
from studio_comms.core.phone import NotAPhoneNumber, to_e164
from studio_comms.core.vocabulary import CommunicationChannel
from studio_comms.customers.service import customers_with_phone, find_customer
from studio_comms.db.tx import Tx
from studio_comms.messages.schemas import MessageStatus
from studio_comms.messages.service import record_provider_status
from studio_comms.preferences.blocks import lift_for_feedback
from studio_comms.preferences.schemas import SuppressionReason
from studio_comms.sms import replies, words
from studio_comms.sms.answers import Contact, help_text
from studio_comms.sms.errors import CallbackMalformed
from studio_comms.sms.repository import SmsRepository
from studio_comms.sms.service import Params
from studio_comms.sms.words import Intent, Reading
from studio_comms.studios.service import get_information, require_studio

_SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}\Z")
_STATUS = re.compile(r"^[a-z_]{1,32}\Z")


class DeliveryStatus(StrEnum):
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


# Twilio's MessageStatus values. The steps before the handset (queued, sending …) change nothing
# of ours; a status Twilio adds later is kept in the report and maps to nothing until known.
_MAPPED: dict[str, DeliveryStatus | None] = {
    "accepted": None,
    "scheduled": None,
    "queued": None,
    "sending": None,
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.DELIVERED,
    "undelivered": DeliveryStatus.FAILED,
    "failed": DeliveryStatus.FAILED,
    "canceled": DeliveryStatus.FAILED,
}


def delivery_status(provider_status: str) -> DeliveryStatus | None:
    return _MAPPED.get(provider_status)


def forward_status(
    tx: Tx, studio_id: int, provider_message_id: str, status: DeliveryStatus, *, now: datetime
) -> None:
    """The one seam to the messages package: ``messages.service.record_provider_status`` moves
    the message on to DELIVERED or FAILED (its status history, its webhook event). SENT changes
    nothing: our message is SENT from the moment Twilio accepted it. A report of a message that
    is not ours (sent from the account by someone else) is kept in ``sms_status_reports`` only."""
    if status is DeliveryStatus.SENT:
        return
    record_provider_status(tx, studio_id, provider_message_id, MessageStatus(status.value), now=now)


def record_status(tx: Tx, studio_id: int, params: Params, *, now: datetime) -> DeliveryStatus | None:
    fields = dict(params)
    message_id = fields.get("MessageSid") or fields.get("SmsSid") or ""
    provider_status = fields.get("MessageStatus") or fields.get("SmsStatus") or ""
    if not _SID.match(message_id):
        raise CallbackMalformed(reference="MessageSid")
    if not _STATUS.match(provider_status):
        raise CallbackMalformed(reference="MessageStatus")
    error_code = (fields.get("ErrorCode") or "")[:16] or None
    status = delivery_status(provider_status)
    # Twilio retries a callback and its signature has no timestamp: a status reported before
    # (the same MessageSid and MessageStatus) changes nothing again, not even a row.
    reported = SmsRepository(tx, studio_id).add_report(
        message_id, provider_status, status, error_code, now=now
    )
    if reported and status is not None:
        forward_status(tx, studio_id, message_id, status, now=now)
    return status


@dataclass(frozen=True, slots=True)
class Reply:
    sender: str | None
    customer_ids: list[int]
    reading: Reading | None
    duplicate: bool = False
    # What we text back (TwiML ``<Message>``): the HELP answer, or nothing.
    answer: str | None = None


# Twilio's SmsStatus of an incoming message: how its MessageSid is kept among the reports.
RECEIVED = "received"


def receive_reply(tx: Tx, studio_id: int, params: Params, *, now: datetime) -> Reply:
    """A member's SMS to the studio's number: recorded as an INCOMING communication of every
    customer with that number (a family may share one), and what it asks for (``sms.words``)
    applied to each: a revocation blocks TEXT_MESSAGE (``sms.replies.revoke``, the ledger entry
    naming the words), START lifts such a block, HELP is answered with the studio's contact, and
    a reply that only names a keyword word is listed PENDING for an operator.

    A sender that is no member's number (or no number at all: a short code, a name) is answered
    and otherwise ignored: nobody's consent can be read from it.
    """
    fields = dict(params)
    message_id = fields.get("MessageSid") or fields.get("SmsSid") or ""
    if not _SID.match(message_id):
        raise CallbackMalformed(reference="MessageSid")
    written_sender, body = fields.get("From"), fields.get("Body")
    if not written_sender or body is None:
        raise CallbackMalformed(reference="From" if not written_sender else "Body")
    reading = words.read(body)
    repository = SmsRepository(tx, studio_id)
    # Twilio's signature has no timestamp: a captured request verifies forever. Each MessageSid
    # is acted on (and answered) once, so neither a retry nor a replayed START (after a later
    # STOP) does anything, and a replayed HELP costs no text. The report's unique index decides,
    # also between two requests at once.
    if not repository.add_report(message_id, RECEIVED, None, None, now=now):
        return Reply(None, [], reading, duplicate=True)
    try:
        sender = to_e164(written_sender, None)
    except NotAPhoneNumber:
        return Reply(None, [], reading)
    customer_ids = customers_with_phone(tx, studio_id, sender)
    intent = reading.intent if reading else None
    # The ledger entries name the words the change rests on.
    details = f'SMS reply "{reading.words}"' if reading else None
    audit = Audit(
        source=ChangeSource.INBOUND_KEYWORD, actor=f"sms:{sender}", request_id=message_id, details=details
    )
    for customer_id in customer_ids:
        _record_reply(tx, studio_id, customer_id, sender, body, message_id, now=now)
        if intent is Intent.REVOKE and details is not None:
            replies.revoke(tx, studio_id, customer_id, details, audit=audit, now=now)
        elif intent is Intent.OPT_IN:
            lift_for_feedback(
                tx, studio_id, customer_id, CHANNEL, SuppressionReason.SMS_STOP, audit=audit, now=now
            )
    if intent is Intent.UNCLEAR and reading is not None and customer_ids:
        replies.hold(tx, studio_id, message_id, sender, customer_ids, body, reading.words, now=now)
    answer = _help_answer(tx, studio_id, customer_ids) if intent is Intent.HELP else None
    return Reply(sender, customer_ids, reading, answer=answer)


def _help_answer(tx: Tx, studio_id: int, customer_ids: list[int]) -> str:
    studio, info = require_studio(tx, studio_id), get_information(tx, studio_id)
    languages = {customer.language for cid in customer_ids if (customer := find_customer(tx, studio_id, cid))}
    # The members' language when they share one (a family on one number may not), else the studio's.
    language = languages.pop() if len(languages) == 1 else None
    contact = Contact(studio.name, telephone=info.telephone, email=info.email, website=info.website)
    return help_text(contact, language or studio.language)


CHANNEL = CommunicationChannel.TEXT_MESSAGE
# Twilio splits nothing for us: a concatenated SMS arrives whole (up to 1,600 characters).
_SUBJECT = "SMS from {sender}"


def _record_reply(
    tx: Tx, studio_id: int, customer_id: int, sender: str, body: str, message_id: str, *, now: datetime
) -> None:
    request = CommunicationThreadRequest(
        communicationThreadStatus=CommunicationThreadStatus.CREATED,
        subject=_SUBJECT.format(sender=sender),
        # A picture without text (MMS) still is a reply; the content must not be blank.
        content=body if body.strip() else "(no text)",
        communicationDirection=CommunicationDirection.INCOMING,
        communicationChannel=CHANNEL,
        # The provider's message id: where the operator finds the message at Twilio.
        ticketNumber=message_id,
        agent="Twilio",
    )
    create_thread(tx, studio_id, customer_id, request, request_id=None, now=now)
