"""Delivery status notifications (RFC 3464): which recipients failed, and for good or not.

A recipient failed for good when its ``Action`` is ``failed`` and its ``Status`` class is 5
(permanent, RFC 3463). Class 4 (a full mailbox, a greylisting server) and ``delayed`` are
transient: the address may work tomorrow, so nothing is suppressed for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from studio_comms.bounces.mime import address_of, field, field_blocks, original_headers, report_parts

_STATUS = re.compile(r"^([245])\.[0-9]{1,3}\.[0-9]{1,3}")


@dataclass(frozen=True, slots=True)
class RecipientStatus:
    address: str
    action: str
    status: str
    # Original-Recipient, when the report gives it (a forwarded address: the one we sent to).
    original: str | None = None

    @property
    def addresses(self) -> tuple[str, ...]:
        return (self.address,) if self.original is None else (self.address, self.original)

    @property
    def permanent_failure(self) -> bool:
        return self.action == "failed" and self.status.startswith("5.")


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    reporting_mta: str | None
    recipients: list[RecipientStatus]
    original_message_id: str | None


class NotAReport(ValueError):
    pass


def read_dsn(message: Message) -> DeliveryReport | None:
    """The report, None if ``message`` is no DSN; ``NotAReport`` if it says it is one but lacks
    what RFC 3464 requires (a delivery-status part with per-recipient fields)."""
    parts = report_parts(message, "delivery-status")
    if parts is None:
        return None
    status_part = next((part for part in parts if part.get_content_type() == "message/delivery-status"), None)
    if status_part is None:
        raise NotAReport("no message/delivery-status part")
    blocks = field_blocks(status_part)
    if len(blocks) < 2:
        raise NotAReport("no per-recipient fields")
    recipients = []
    for block in blocks[1:]:
        original_recipient = address_of(field(block, "Original-Recipient"))
        address = address_of(field(block, "Final-Recipient")) or original_recipient
        action = (field(block, "Action") or "").lower()
        status = _STATUS.match(field(block, "Status") or "")
        if address is None or not action or status is None:
            raise NotAReport("a recipient block lacks Final-Recipient, Action or Status")
        recipients.append(
            RecipientStatus(
                address,
                action,
                status.group(0),
                original_recipient if original_recipient != address else None,
            )
        )
    original = original_headers(parts)
    return DeliveryReport(
        reporting_mta=field(blocks[0], "Reporting-MTA"),
        recipients=recipients,
        original_message_id=field(original, "Message-ID") if original is not None else None,
    )
