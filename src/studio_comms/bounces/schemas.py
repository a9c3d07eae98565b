"""What the mail feedback endpoint did with a message."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from studio_comms.core.schemas import Int64


class FeedbackKind(StrEnum):
    HARD_BOUNCE = "HARD_BOUNCE"
    SOFT_BOUNCE = "SOFT_BOUNCE"
    COMPLAINT = "COMPLAINT"
    # An ARF report of another type (not-spam, virus, fraud, auth-failure): nothing to do.
    OTHER_FEEDBACK = "OTHER_FEEDBACK"
    # An ordinary mail at the bounce address (an out-of-office reply): nothing to do.
    NOT_A_REPORT = "NOT_A_REPORT"


class FeedbackRecipient(BaseModel):
    address: str
    status: str | None = Field(default=None, description="The DSN's status code (5.1.1 …)")
    customerIds: list[Int64] = Field(description="The studio's customers with this address")
    suppressed: bool = Field(description="Whether EMAIL is now blocked for them because of this report")


class MailFeedbackResult(BaseModel):
    kind: FeedbackKind
    studioId: Int64 | None = None
    originalMessageId: str | None = None
    recipients: list[FeedbackRecipient] = []
