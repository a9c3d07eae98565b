"""One returned message read (pure): a DSN, an ARF report, a text bounce, an auto-reply, or
nothing of these; which recipients it names and the verdict on each (:mod:`studio_comms.core.mailstatus`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from email.message import Message
from enum import StrEnum

from studio_comms.bounces import mime
from studio_comms.bounces.arf import FeedbackReport, read_arf
from studio_comms.bounces.dsn import DeliveryReport, NotAReport, RecipientStatus, read_dsn
from studio_comms.bounces.text import (
    is_auto_reply,
    near,
    notice_of,
    original_message_id,
    read_text_bounce,
)


class Shape(StrEnum):
    DSN = "DSN"
    ARF = "ARF"
    TEXT_BOUNCE = "TEXT_BOUNCE"
    AUTO_REPLY = "AUTO_REPLY"
    NONE = "NONE"


@dataclass(frozen=True, slots=True)
class Reading:
    shape: Shape
    delivery: DeliveryReport | None = None
    feedback: FeedbackReport | None = None
    # Where the report was sent: the envelope recipient as the MTA records it (signed VERP).
    sent_to: tuple[str, ...] = ()


_SENT_TO = ("Delivered-To", "X-Original-To", "Envelope-To", "To")


def read(raw: bytes) -> Reading:
    """Raises ``mime.Unreadable`` or ``dsn.NotAReport`` for what cannot be read (a 400)."""
    message = mime.parse(raw)
    sent_to = tuple(str(value) for name in _SENT_TO for value in message.get_all(name) or [])
    return replace(_read(message), sent_to=sent_to)


def _read(message: Message) -> Reading:
    feedback = read_arf(message)
    if feedback is not None:
        return Reading(Shape.ARF, feedback=feedback)
    try:
        delivery = read_dsn(message)
    except NotAReport:
        # A broken DSN that went through a mail system (it has a sender, a date, a Received line)
        # is often still a readable text bounce, or an empty notice ("No Message Collected"); a
        # report with none of these nor what RFC 3464 requires is refused.
        if not any(message.get(name) for name in ("From", "Date", "Received", "Return-Path")):
            raise
        delivery = read_text_bounce(message)
        if delivery is not None:
            return Reading(Shape.TEXT_BOUNCE, delivery=delivery)
        return Reading(Shape.NONE)
    if delivery is not None:
        return Reading(Shape.DSN, delivery=_completed(delivery, message))
    if is_auto_reply(message):
        return Reading(Shape.AUTO_REPLY)
    delivery = read_text_bounce(message)
    if delivery is not None:
        return Reading(Shape.TEXT_BOUNCE, delivery=delivery)
    return Reading(Shape.NONE)


def _completed(delivery: DeliveryReport, message: Message) -> DeliveryReport:
    """A DSN's gaps filled from its human-readable part: a recipient without ``Diagnostic-Code``
    gets the notice's words about it; no returned headers: our Message-ID quoted in the text."""
    if any(_unexplained(recipient) for recipient in delivery.recipients):
        notice = notice_of(message)
        addresses = [recipient.address for recipient in delivery.recipients]
        recipients = [
            replace(recipient, diagnostic=near(notice, recipient.address, addresses) if notice else None)
            if _unexplained(recipient)
            else recipient
            for recipient in delivery.recipients
        ]
        delivery = replace(delivery, recipients=recipients)
    if delivery.original_message_id is None:
        delivery = replace(delivery, original_message_id=original_message_id(message))
    return delivery


def _unexplained(recipient: RecipientStatus) -> bool:
    """No Diagnostic-Code and a status that says no more than "failed" (5.0.0): only then is the
    notice, with its footers and disclaimers, read for the reason."""
    generic = recipient.status is None or recipient.status[2:] in ("0.0", "7.1", "7.0", "1.0")
    return recipient.diagnostic is None and generic
