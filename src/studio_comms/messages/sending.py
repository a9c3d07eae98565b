"""What the worker does with one message: decide again, then send, hold back or stop it.

:func:`prepare` reads (no transaction held while the transport sends); the ``record_*``
functions write the outcome in the item's own transaction, each after re-reading the message
under its lock: a duplicate queue entry finds it finished and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from studio_comms.communications import sent
from studio_comms.core.audit import Audit, ChangeSource
from studio_comms.core.mailstatus import Reason, judge
from studio_comms.core.vocabulary import CommunicationChannel, MessageCategory
from studio_comms.customers.errors import CustomerNotFound
from studio_comms.customers.service import customers_with_email, find_customer
from studio_comms.db.tx import Tx
from studio_comms.links.errors import CustomerErased
from studio_comms.links.schemas import PreferenceLinkCreate, UnsubscribeLinkCreate
from studio_comms.links.service import issue_preference_link, issue_unsubscribe_link
from studio_comms.links.tokens import LinkSigner
from studio_comms.messages import quiet, soft_bounces
from studio_comms.messages.email_message import message_id_for
from studio_comms.messages.repository import MessageRow, MessagesRepository
from studio_comms.messages.schemas import MessageStatus
from studio_comms.messages.service import PENDING, address_of, change_status, receipt_of
from studio_comms.messages.transports import OutgoingMessage, SendResult
from studio_comms.preferences import service as preferences
from studio_comms.preferences.blocks import block_for_feedback
from studio_comms.preferences.errors import ChannelNotOffered, ChannelNotOverridable
from studio_comms.preferences.rules import Decision
from studio_comms.preferences.schemas import SuppressionReason
from studio_comms.studios.service import require_studio


class SignerSource(Protocol):
    def get(self) -> LinkSigner: ...


@dataclass(frozen=True, slots=True)
class Links:
    # Resolved on first use (the link secret may be generated on disk then).
    signer: SignerSource
    base_url: str
    # Settings.bounce_address: when set, each e-mail's envelope sender is signed VERP.
    bounce_address: str | None = None


@dataclass(frozen=True, slots=True)
class Skip:
    """Finished already (a copy of its queue entry), or gone with its customer."""


@dataclass(frozen=True, slots=True)
class NotYet:
    until: datetime


@dataclass(frozen=True, slots=True)
class Refuse:
    decision: Decision


@dataclass(frozen=True, slots=True)
class Quiet:
    until: datetime
    decision: Decision


@dataclass(frozen=True, slots=True)
class Fail:
    reason: str
    decision: Decision


@dataclass(frozen=True, slots=True)
class Send:
    message: OutgoingMessage
    decision: Decision


Plan = Skip | NotYet | Refuse | Quiet | Fail | Send


def prepare(
    tx: Tx, studio_id: int, message_id: int, *, now: datetime, links: Links, default_from: str
) -> Plan:
    repository = MessagesRepository(tx, studio_id)
    message = repository.get(message_id)
    if message is None or message.status not in PENDING:
        return Skip()
    if message.send_at > now:
        return NotYet(message.send_at)
    customer = find_customer(tx, studio_id, message.customer_id)
    if customer is None:
        return Skip()
    category, channel = MessageCategory(message.category), CommunicationChannel(message.channel)
    decision = preferences.decide(tx, studio_id, message.customer_id, category, channel)
    if not decision.permitted:
        return Refuse(decision)
    address = address_of(customer.email, customer.phone_number, message.channel)
    if not address:
        what = "e-mail address" if channel is CommunicationChannel.EMAIL else "phone number"
        return Fail(f"the customer has no {what}", decision)
    studio = require_studio(tx, studio_id)
    settings = repository.settings()
    windows = quiet.effective_windows(settings.quiet_hours if settings else None)
    until = quiet.quiet_until(windows, category, now, ZoneInfo(studio.time_zone))
    if until is not None:
        return Quiet(until, decision)
    sender = (settings.email_from if settings else None) or default_from
    outgoing = OutgoingMessage(
        message_id=message.id,
        studio_id=studio_id,
        customer_id=message.customer_id,
        channel=channel,
        category=category,
        to=address,
        subject=message.subject,
        content=message.content,
        html=message.html,
        sender_name=studio.name,
        sender_address=sender,
        language=customer.language or studio.language,
    )
    if channel is CommunicationChannel.EMAIL:
        outgoing = _with_email_headers(tx, outgoing, links, marketing=message.marketing, now=now)
    return Send(outgoing, decision)


def _with_email_headers(
    tx: Tx, outgoing: OutgoingMessage, links: Links, *, marketing: bool, now: datetime
) -> OutgoingMessage:
    # Marketing mail (the flag stored at acceptance, ``messages.marketing``) carries the one-click
    # unsubscribe headers (RFC 8058).
    headers: list[tuple[str, str]] = []
    try:
        preference = issue_preference_link(
            tx, links.signer.get(), outgoing.studio_id, outgoing.customer_id, PreferenceLinkCreate(),
            base_url=links.base_url, now=now,
        )  # fmt: skip
    except (CustomerErased, CustomerNotFound):
        preference = None
    if marketing and preference is not None:
        try:
            unsubscribe = issue_unsubscribe_link(
                tx, links.signer.get(), outgoing.studio_id, outgoing.customer_id,
                UnsubscribeLinkCreate(
                    messageCategory=outgoing.category, communicationChannel=CommunicationChannel.EMAIL
                ),
                base_url=links.base_url, now=now,
            )  # fmt: skip
            headers.append(("List-Unsubscribe", unsubscribe.listUnsubscribeHeaders.list_unsubscribe))
            headers.append(
                ("List-Unsubscribe-Post", unsubscribe.listUnsubscribeHeaders.list_unsubscribe_post)
            )
        except (ChannelNotOffered, ChannelNotOverridable):
            # Enforced by the studio (no member may switch it off): no unsubscribe to offer; the
            # preference-center footer stays.
            pass
    return replace(
        outgoing,
        envelope_from=_return_path(links, outgoing.studio_id, outgoing.message_id),
        message_id_header=message_id_for(outgoing.studio_id, outgoing.message_id, outgoing.sender_address),
        headers=tuple(headers),
        preference_link=preference.url if preference is not None else None,
    )


def _return_path(links: Links, studio_id: int, message_id: int) -> str | None:
    """``local+{studioId}.{messageId}.{tag}@domain`` of the bounce address (signed VERP), or None."""
    if links.bounce_address is None:
        return None
    local, _, domain = links.bounce_address.rpartition("@")
    tag = links.signer.get().return_path_tag(studio_id, message_id)
    return f"{local}+{studio_id}.{message_id}.{tag}@{domain}"


def _pending(tx: Tx, studio_id: int, message_id: int) -> MessageRow | None:
    message = MessagesRepository(tx, studio_id).get(message_id, lock=True)
    return message if message is not None and message.status in PENDING else None


def _ensure_recorded(
    tx: Tx, studio_id: int, message: MessageRow, decision: Decision, *, now: datetime
) -> None:
    """A bulk message becomes its customer's OUTGOING communication when the worker takes it up,
    with the receipt of the decision taken then."""
    if message.communication_id is not None:
        return
    category = MessageCategory(message.category)
    thread_id, communication_id = sent.record_message(
        tx,
        studio_id,
        message.customer_id,
        thread_id=None,
        category=category,
        channel=CommunicationChannel(message.channel),
        subject=message.subject,
        content=message.content,
        receipt=receipt_of(decision, category, message.channel, now),
        request_id=None,
        now=now,
    )
    message.thread_id, message.communication_id = thread_id, communication_id
    sent.add_delivery_event(
        tx, studio_id, thread_id=thread_id, communication_id=communication_id, message_id=message.id,
        status=MessageStatus.QUEUED.value, reason=None, now=message.created_at,
    )  # fmt: skip


def record_refused(tx: Tx, studio_id: int, message_id: int, decision: Decision, *, now: datetime) -> None:
    message = _pending(tx, studio_id, message_id)
    if message is None:
        return
    _ensure_recorded(tx, studio_id, message, decision, now=now)
    reason = f"not permitted at send time (rule {decision.rule.value})"
    change_status(tx, studio_id, message, MessageStatus.SUPPRESSED, reason=reason, decision=decision, now=now)


def record_quiet(
    tx: Tx, studio_id: int, message_id: int, until: datetime, decision: Decision, *, now: datetime
) -> None:
    message = _pending(tx, studio_id, message_id)
    if message is None or message.status == MessageStatus.DEFERRED.value:
        return
    _ensure_recorded(tx, studio_id, message, decision, now=now)
    reason = f"quiet hours until {until.isoformat(timespec='minutes')}"
    change_status(tx, studio_id, message, MessageStatus.DEFERRED, reason=reason, decision=decision, now=now)


def record_result(
    tx: Tx,
    studio_id: int,
    message_id: int,
    result: SendResult,
    decision: Decision,
    *,
    header: str | None,
    final: bool,
    now: datetime,
) -> bool:
    """The transport's answer; returns whether the message is done (sent, or FAILED for good)."""
    message = _pending(tx, studio_id, message_id)
    if message is None:
        # Recorded by another attempt meanwhile (a lease that expired mid-send): keep that one.
        return True
    message.attempts += 1
    message.message_id_header = header or message.message_id_header
    if result.accepted:
        message.provider_message_id = result.provider_message_id
        _ensure_recorded(tx, studio_id, message, decision, now=now)
        change_status(tx, studio_id, message, MessageStatus.SENT, decision=decision, now=now)
        return True
    if result.retryable and not final:
        message.status_reason = result.error
        MessagesRepository(tx, studio_id).save(message, now=now)
        return False
    _ensure_recorded(tx, studio_id, message, decision, now=now)
    if result.smtp_reply is not None:
        # The receiving server refused for good: a dead address bounces (and is suppressed, as a
        # returned DSN would have it); the sender's setup, the content, a full mailbox only fail.
        verdict = judge(None, result.smtp_reply, action="failed")
        reason = f"{result.error} ({verdict.reason.value})"
        if verdict.hard:
            change_status(
                tx, studio_id, message, MessageStatus.BOUNCED, reason=reason, decision=decision, now=now
            )
            code = verdict.status or result.smtp_reply[:3]
            _suppress_dead_address(tx, studio_id, message.customer_id, code, now=now)
            return True
        change_status(tx, studio_id, message, MessageStatus.FAILED, reason=reason, decision=decision, now=now)
        if soft_bounces.counts(verdict.reason):
            _count_soft_bounce(
                tx, studio_id, message, verdict.status or result.smtp_reply[:3], verdict.reason, now=now
            )
        return True
    change_status(
        tx, studio_id, message, MessageStatus.FAILED, reason=result.error, decision=decision, now=now
    )
    return True


def _suppress_dead_address(tx: Tx, studio_id: int, customer_id: int, code: str, *, now: datetime) -> None:
    """EMAIL blocked with ``BOUNCED`` for every customer of the studio with the refused address
    (the ledger's actor names the code, not the server's words: they quote the address)."""
    customer = find_customer(tx, studio_id, customer_id)
    if customer is None or not customer.email:
        return
    audit = Audit(source=ChangeSource.BOUNCE, actor=f"smtp:{code}", request_id=None)
    for other in customers_with_email(tx, studio_id, customer.email):
        block_for_feedback(
            tx, studio_id, other, CommunicationChannel.EMAIL, SuppressionReason.BOUNCED, audit=audit, now=now
        )


def _count_soft_bounce(
    tx: Tx, studio_id: int, message: MessageRow, code: str, reason: Reason, *, now: datetime
) -> None:
    """A full mailbox, an expiry, a transient failure for good: one soft bounce of the address for
    every customer of the studio with it (``soft_bounces``: N of them within D days suppress)."""
    customer = find_customer(tx, studio_id, message.customer_id)
    if customer is None or not customer.email:
        return
    audit = Audit(source=ChangeSource.BOUNCE, actor=f"smtp:{code}", request_id=None)
    customer_ids = customers_with_email(tx, studio_id, customer.email)
    soft_bounces.count(tx, studio_id, message.id, customer_ids, reason, audit=audit, now=now)


def record_crash(tx: Tx, studio_id: int, message_id: int, error: str, *, final: bool, now: datetime) -> None:
    """The handler itself crashed; on the last attempt the message FAILED (never QUEUED for ever)."""
    message = _pending(tx, studio_id, message_id)
    if message is None:
        return
    if not final:
        message.status_reason = error
        MessagesRepository(tx, studio_id).save(message, now=now)
        return
    change_status(tx, studio_id, message, MessageStatus.FAILED, reason=error, now=now)
