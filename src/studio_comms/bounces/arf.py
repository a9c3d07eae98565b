"""Abuse feedback reports (RFC 5965 ARF), as mailbox providers' feedback loops send them.

Only ``Feedback-Type: abuse`` is a member's complaint; ``not-spam``, ``virus``, ``fraud`` and
``auth-failure`` say nothing about what the member wants. The complaining recipient is the
report's ``Original-Rcpt-To``, else the ``To`` of the returned message (providers often redact
both; then the Message-ID is all that is left, and without the messages table nobody matches).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message

from studio_comms.bounces.dsn import NotAReport
from studio_comms.bounces.mime import address_of, field, field_blocks, original_headers, report_parts


@dataclass(frozen=True, slots=True)
class FeedbackReport:
    feedback_type: str
    reporter: str | None
    recipient: str | None
    original_message_id: str | None

    @property
    def complaint(self) -> bool:
        return self.feedback_type == "abuse"


def read_arf(message: Message) -> FeedbackReport | None:
    parts = report_parts(message, "feedback-report")
    if parts is None:
        return None
    report_part = next((part for part in parts if part.get_content_type() == "message/feedback-report"), None)
    blocks = field_blocks(report_part) if report_part is not None else []
    if not blocks:
        raise NotAReport("no message/feedback-report part")
    fields = blocks[0]
    feedback_type = (field(fields, "Feedback-Type") or "").lower()
    if not feedback_type:
        raise NotAReport("no Feedback-Type")
    original = original_headers(parts)
    recipient = address_of(field(fields, "Original-Rcpt-To"))
    if recipient is None and original is not None:
        recipient = address_of(field(original, "To"))
    return FeedbackReport(
        feedback_type=feedback_type,
        reporter=field(fields, "Reporting-MTA") or field(fields, "User-Agent"),
        recipient=recipient,
        original_message_id=field(original, "Message-ID") if original is not None else None,
    )
