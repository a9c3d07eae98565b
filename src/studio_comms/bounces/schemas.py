"""What the mail feedback endpoint did with a message, and the operator's list of reports that
acted on nothing."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from studio_comms.core.mailstatus import Reason
from studio_comms.core.schemas import Int64


class FeedbackKind(StrEnum):
    HARD_BOUNCE = "HARD_BOUNCE"
    SOFT_BOUNCE = "SOFT_BOUNCE"
    COMPLAINT = "COMPLAINT"
    # An ARF report of another type (not-spam, virus, fraud, auth-failure): nothing to do.
    OTHER_FEEDBACK = "OTHER_FEEDBACK"
    # An auto-reply (RFC 3834, out of office) at the bounce address: nothing to do.
    AUTO_REPLY = "AUTO_REPLY"
    # Any other mail at the bounce address: nothing to do.
    NOT_A_REPORT = "NOT_A_REPORT"


class Why(StrEnum):
    """Why a report acted on nothing."""

    # The returned message's Message-ID is missing (a DSN with no returned headers).
    NO_MESSAGE_ID = "NO_MESSAGE_ID"
    # A Message-ID studio-comms never gives (another sender's, or ids beyond int64).
    NOT_OURS = "NOT_OURS"
    # ``?studioId=`` names another studio than the Message-ID.
    STUDIO_MISMATCH = "STUDIO_MISMATCH"
    # The studio sent no e-mail with that number and Message-ID.
    NO_SUCH_MESSAGE = "NO_SUCH_MESSAGE"
    # The report's recipients are not that message's member's address.
    NOT_THE_RECIPIENT = "NOT_THE_RECIPIENT"
    # A complaint whose recipient is redacted: nothing ties it to the member.
    NO_RECIPIENT = "NO_RECIPIENT"
    # Signed VERP is on (STUDIO_COMMS_BOUNCE_ADDRESS) and the bounce did not come back to a
    # correctly signed return path.
    NOT_SIGNED = "NOT_SIGNED"


class FeedbackRecipient(BaseModel):
    address: str
    status: str | None = Field(default=None, description="The DSN's status code (5.1.1 …)")
    reason: Reason | None = Field(
        default=None,
        description="Why it came back; only a permanent USER_UNKNOWN, HOST_UNKNOWN or MAILBOX_DISABLED "
        "suppresses",
    )
    customerIds: list[Int64] = Field(description="The studio's customers with this address")
    suppressed: bool = Field(description="Whether EMAIL is now blocked for them because of this report")


class Unattributed(BaseModel):
    id: Int64 = Field(description="The row in `GET /admin/v1/mail-feedback/unattributed`")
    why: Why


class MailFeedbackResult(BaseModel):
    kind: FeedbackKind
    studioId: Int64 | None = None
    messageId: Int64 | None = Field(default=None, description="Our message the report is about")
    originalMessageId: str | None = None
    recipients: list[FeedbackRecipient] = []
    unattributed: Unattributed | None = Field(
        default=None,
        description="Set when the report named no message of ours with its recipient: it changed nothing",
    )


class UnattributedFeedbackRead(BaseModel):
    id: Int64
    receivedAt: datetime
    kind: FeedbackKind
    why: Why
    claimedStudioId: Int64 | None = None
    claimedMessageId: Int64 | None = None
    originalMessageId: str | None = None
    reporter: str | None = None
    addresses: list[str]


class UnattributedFeedbackList(BaseModel):
    result: list[UnattributedFeedbackRead]
