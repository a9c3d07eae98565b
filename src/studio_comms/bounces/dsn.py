"""Delivery status notifications (RFC 3464) in their real shapes: which recipients failed, and why.

Found wherever the ``message/delivery-status`` part is: a ``multipart/report`` (with or without its
``report-type``), nested in a ``multipart/mixed``, or forwarded inside a ``message/rfc822``. Each
recipient block is judged by :mod:`studio_comms.core.mailstatus` from its ``Status``, ``Action`` and
``Diagnostic-Code``: only a permanent, address-level failure is hard (``failed`` with ``4.x.x``, a
full mailbox, the sender's DKIM failing: never).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message

from studio_comms.bounces.mime import address_of, field, field_blocks, original_headers, report_parts
from studio_comms.core.mailstatus import Verdict, judge, status_in


@dataclass(frozen=True, slots=True)
class RecipientStatus:
    address: str
    action: str
    status: str | None
    # Original-Recipient, when the report gives it (a forwarded address: the one we sent to).
    original: str | None = None
    diagnostic: str | None = None
    text_bounce: bool = False

    @property
    def addresses(self) -> tuple[str, ...]:
        return (self.address,) if self.original is None else (self.address, self.original)

    @property
    def verdict(self) -> Verdict:
        return judge(self.status, self.diagnostic, action=self.action, text_bounce=self.text_bounce)

    @property
    def hard(self) -> bool:
        """The member's address failed for good (suppress): permanent and address-level."""
        return self.verdict.hard


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    reporting_mta: str | None
    recipients: list[RecipientStatus]
    original_message_id: str | None


class NotAReport(ValueError):
    pass


def _status_part(message: Message) -> tuple[Message, list[Message]] | None:
    """The first ``message/delivery-status`` part and its siblings, searched depth first."""
    payload = message.get_payload()
    if not message.is_multipart() or not isinstance(payload, list):
        return None
    parts = [part for part in payload if isinstance(part, Message)]
    for part in parts:
        if part.get_content_type() == "message/delivery-status":
            return part, parts
    for part in parts:
        found = _status_part(part)
        if found is not None:
            return found
    return None


def read_dsn(message: Message) -> DeliveryReport | None:
    """The report, None if ``message`` holds no DSN; ``NotAReport`` if it declares itself one
    (``report-type=delivery-status``) but lacks what RFC 3464 requires, or its status part names no
    recipient at all."""
    declared = report_parts(message, "delivery-status")
    found = _status_part(message)
    if found is None:
        if declared is not None:
            raise NotAReport("no message/delivery-status part")
        return None
    status_part, parts = found
    blocks = field_blocks(status_part)
    if len(blocks) < 2:
        raise NotAReport("no per-recipient fields")
    recipients = []
    for block in blocks[1:]:
        original_recipient = address_of(field(block, "Original-Recipient"))
        address = address_of(field(block, "Final-Recipient")) or original_recipient
        diagnostic = field(block, "Diagnostic-Code")
        status_field = field(block, "Status") or ""
        status = status_in(status_field) or status_in(diagnostic)
        if status_field.partition(" ")[2]:
            # "5.0.0 (recipient reached disk quota)": the comment is the only reason some give.
            diagnostic = f"{diagnostic or ''} {status_field.partition(' ')[2]}".strip()
        action = (field(block, "Action") or "").lower()
        if not action and status is not None:
            # Some MTAs leave Action out: the status class says it (RFC 3464 2.3.3).
            action = {"5": "failed", "4": "delayed", "2": "delivered"}[status[0]]
        if address is None or not action or status is None:
            continue  # a block that names nobody, or says nothing about them
        recipients.append(
            RecipientStatus(
                address,
                action,
                status,
                original_recipient if original_recipient != address else None,
                diagnostic,
            )
        )
    if not recipients:
        raise NotAReport("no recipient block with Final-Recipient, Action and Status")
    original = original_headers(parts)
    return DeliveryReport(
        reporting_mta=field(blocks[0], "Reporting-MTA"),
        recipients=recipients,
        original_message_id=field(original, "Message-ID") if original is not None else None,
    )
