"""The seam between the worker and whatever carries a message out: one transport per channel.

A transport sends one message and says what happened; the handler records it. EMAIL goes over
SMTP (or into .eml files); TEXT_MESSAGE through an SMS provider's adapter. A channel without a
transport fails its messages clearly instead of dropping them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from studio_comms.core.vocabulary import CommunicationChannel, MessageCategory

NO_SMS_PROVIDER = "no SMS provider configured for this studio"


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """Everything a transport needs, read before sending (no transaction is open while it sends)."""

    message_id: int
    studio_id: int
    customer_id: int
    channel: CommunicationChannel
    category: MessageCategory
    # The customer's e-mail address or phone number, as stored.
    to: str
    subject: str | None
    content: str
    html: str | None
    sender_name: str
    sender_address: str
    # E-mail: the Message-ID, the same on every attempt (duplicates are recognisable).
    message_id_header: str | None = None
    # E-mail: List-Unsubscribe, List-Unsubscribe-Post … put on the message as they are.
    headers: tuple[tuple[str, str], ...] = ()
    preference_link: str | None = None
    # E-mail: the envelope sender (MAIL FROM, the Return-Path bounces go to); None: the From address.
    envelope_from: str | None = None
    language: str = "en"
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SendResult:
    accepted: bool
    # The provider's id of the message (callbacks name it); for e-mail the Message-ID.
    provider_message_id: str | None = None
    error: str | None = None
    # Worth another attempt (a 4xx SMTP answer, a dropped connection); else the message FAILED.
    retryable: bool = False
    # The receiving server's own answer ("550 5.1.1 …"), when it refused: judged by
    # core.mailstatus (a dead address BOUNCES and is suppressed; anything else only FAILS).
    smtp_reply: str | None = None


class Transport(Protocol):
    def send(self, message: OutgoingMessage) -> SendResult:
        """Hand the message over; never raises for the peer's refusal (that is a result)."""

    def close(self) -> None:
        """Release connections; the worker is done."""


class NoSmsProvider:
    """TEXT_MESSAGE until an SMS provider adapter is configured: fails each message, clearly."""

    def send(self, message: OutgoingMessage) -> SendResult:
        return SendResult(accepted=False, error=NO_SMS_PROVIDER, retryable=False)

    def close(self) -> None:
        """Holds nothing."""
