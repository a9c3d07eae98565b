"""Wire models: the compatible thread request/response (official names) and the timeline."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from studio_comms.core.datetimes import parse_instant
from studio_comms.core.schemas import Int64, NotBlank, inline_enum, not_blank
from studio_comms.core.vocabulary import (
    CommunicationChannel,
    InlineCommunicationChannel,
    InlineMessageCategory,
    MessageCategory,
)
from studio_comms.preferences.rules import Rule
from studio_comms.studios.schemas import ConsentEnforcement


class CommunicationThreadStatus(StrEnum):
    CREATED = "CREATED"
    ONGOING = "ONGOING"
    CLOSED = "CLOSED"


class CommunicationDirection(StrEnum):
    INCOMING = "INCOMING"
    OUTGOING = "OUTGOING"


InlineThreadStatus = Annotated[CommunicationThreadStatus, inline_enum(CommunicationThreadStatus)]
InlineDirection = Annotated[CommunicationDirection, inline_enum(CommunicationDirection)]


def _instant(value: object) -> object:
    # A date-time is a string, as the official schema says: a number (0, an epoch) is refused,
    # not read as seconds since 1970 (pydantic's lax mode would).
    if isinstance(value, str):
        return parse_instant(value)
    if isinstance(value, datetime):
        return value  # built in Python, not from the wire
    raise PydanticCustomError("datetime_type", "Input should be a date-time string")


Subject = Annotated[str, StringConstraints(max_length=255), AfterValidator(not_blank), NotBlank]
Content = Annotated[str, StringConstraints(max_length=100_000), AfterValidator(not_blank), NotBlank]
ShortText = Annotated[str, StringConstraints(max_length=255)]
# Any string, as the official API takes it (a ticket key such as JIRA-123, a relative path, a URL):
# partners put there whatever their ticket system calls a link. We never follow or render it as one.
TicketLink = Annotated[str, StringConstraints(max_length=2048)]
Instant = Annotated[datetime, BeforeValidator(_instant)]


class CommunicationThreadRequest(BaseModel):
    """A communication to store in a new or an existing thread."""

    communicationThreadStatus: InlineThreadStatus
    ticketNumber: ShortText | None = None
    subject: Subject
    content: Content
    communicationDirection: InlineDirection
    ticketLink: TicketLink | None = None
    communicationChannel: InlineCommunicationChannel
    agent: ShortText | None = None
    communicationDateTime: Instant | None = Field(
        default=None,
        description="When it happened (default: now). ISO-8601 with Z or an offset, optional "
        "fraction and optional zone suffix, e.g. 2022-06-22T08:00:00.000+02:00[Europe/Berlin].",
    )
    messageCategory: InlineMessageCategory | None = Field(
        default=None,
        description="Extension: the category an OUTGOING communication is checked against "
        "(default: the thread's category, else GENERAL).",
    )
    requestId: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = Field(
        default=None,
        description="Extension: alias of the Idempotency-Key header; when both are sent they must be "
        "equal (else 400 REQUEST_ID_MISMATCH).",
    )


class AuthorizationReceipt(BaseModel):
    """Why an OUTGOING communication was allowed (or, in RECORD mode, that it was not)."""

    permitted: bool
    reason: Rule
    messageCategory: MessageCategory
    communicationChannel: CommunicationChannel
    ledgerEntryId: Int64 | None = None
    blockReason: str | None = None
    enforcement: ConsentEnforcement
    decidedAt: datetime


class CommunicationThreadResponse(BaseModel):
    customerId: Int64
    communicationId: Int64
    threadId: Int64
    communicationThreadStatus: InlineThreadStatus
    ticketNumber: str | None = None
    subject: str
    content: str
    communicationDirection: InlineDirection
    ticketLink: str | None = None
    communicationChannel: InlineCommunicationChannel
    agent: str | None = None
    # Extensions:
    messageCategory: InlineMessageCategory | None = None
    communicationDateTime: datetime | None = None
    requestId: str | None = None
    authorization: AuthorizationReceipt | None = None


class DeliveryEventRead(BaseModel):
    """A delivery status of a message studio-comms sent (``GET /v1/messages/{messageId}``)."""

    messageId: Int64
    status: str
    reason: str | None = None
    occurredAt: datetime


class CommunicationRead(BaseModel):
    """One communication of a thread, in the timeline."""

    communicationId: Int64
    communicationThreadStatus: CommunicationThreadStatus
    subject: str
    content: str
    communicationDirection: CommunicationDirection
    communicationChannel: CommunicationChannel
    messageCategory: MessageCategory
    ticketNumber: str | None = None
    ticketLink: str | None = None
    agent: str | None = None
    communicationDateTime: datetime
    requestId: str | None = None
    authorization: AuthorizationReceipt | None = None
    deliveryEvents: list[DeliveryEventRead] | None = Field(
        default=None,
        description="Extension: for a message studio-comms sent itself, each status it went through "
        "(QUEUED, DEFERRED, SENT, DELIVERED, BOUNCED, FAILED, SUPPRESSED), oldest first.",
    )


class CommunicationThreadSummary(BaseModel):
    threadId: Int64
    customerId: Int64
    communicationThreadStatus: CommunicationThreadStatus
    subject: str
    messageCategory: MessageCategory | None = None
    createdAt: datetime
    updatedAt: datetime


class CommunicationThreadRead(CommunicationThreadSummary):
    communications: list[CommunicationRead]
