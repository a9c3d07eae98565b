"""Wire models of the send API (extensions) and of the operator's delivery settings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from email_validator import validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    JsonValue,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
)

from studio_comms.communications.schemas import AuthorizationReceipt, Instant
from studio_comms.core.schemas import Int64, NotBlank, not_blank
from studio_comms.core.vocabulary import MessageCategory
from studio_comms.preferences.rules import Rule

MAX_BULK_RECIPIENTS = 10_000


class MessageStatus(StrEnum):
    QUEUED = "QUEUED"
    # Waiting for the end of the studio's quiet hours; sent after, never dropped.
    DEFERRED = "DEFERRED"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    BOUNCED = "BOUNCED"
    FAILED = "FAILED"
    # The re-check just before sending refused it (preference switched off, suppression, erasure).
    SUPPRESSED = "SUPPRESSED"


class SendChannel(StrEnum):
    """The channels studio-comms sends itself."""

    EMAIL = "EMAIL"
    TEXT_MESSAGE = "TEXT_MESSAGE"


# The most characters of each field, given and rendered for a member (``placeholders.limits``).
SUBJECT_MAX_LENGTH = 255
CONTENT_MAX_LENGTH = 100_000
HTML_MAX_LENGTH = 500_000
# A TEXT_MESSAGE's content, rendered: what an SMS provider takes as one message (Twilio: 1,600).
TEXT_MESSAGE_MAX_LENGTH = 1_600

Subject = Annotated[
    str, StringConstraints(max_length=SUBJECT_MAX_LENGTH), AfterValidator(not_blank), NotBlank
]
Content = Annotated[
    str, StringConstraints(max_length=CONTENT_MAX_LENGTH), AfterValidator(not_blank), NotBlank
]
Html = Annotated[str, StringConstraints(max_length=HTML_MAX_LENGTH)]

MARKETING_TEXT = (
    "Whether this is marketing mail: marketing e-mail carries `List-Unsubscribe` (a one-click link "
    "that switches this category off for the member) and `List-Unsubscribe-Post: "
    "List-Unsubscribe=One-Click` (RFC 8058; Gmail's and Yahoo's bulk-sender rules require both on "
    "marketing mail). Only GENERAL may choose; absent: the studio's `generalIsMarketing` (operator "
    "message settings, default true). NEWSLETTER and LOYALTY_PROGRAM are always marketing, CONTRACT "
    "and APPOINTMENT never: `false` resp. `true` for them is 400 MARKETING_FLAG_NOT_ALLOWED."
)
Marketing = StrictBool | None

PLACEHOLDERS_TEXT = (
    "Placeholders `{{ firstName }}`, `{{ lastName }}`, `{{ studioName }}` are replaced by the "
    "member's values (spaces inside the braces optional); any other `{{`, `{%` or `{#` is 400 "
    "TEMPLATE_INVALID."
)


# An e-mail needs a subject (the services refuse one without, FIELD_REQUIRED): published as a
# conditional requirement, so the document is no looser than the check.
_SUBJECT_FOR_EMAIL: dict[str, JsonValue] = {
    "if": {"properties": {"communicationChannel": {"const": "EMAIL"}}, "required": ["communicationChannel"]},
    "then": {"required": ["subject"]},
}


class MessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_SUBJECT_FOR_EMAIL)

    messageCategory: MessageCategory
    communicationChannel: SendChannel
    subject: Subject | None = Field(
        default=None,
        description="E-mail subject (required for EMAIL); at most 255 characters with its "
        "placeholders filled in. " + PLACEHOLDERS_TEXT,
    )
    content: Content = Field(
        description="The text (the plain-text part of an e-mail); at most 100,000 characters with "
        "its placeholders filled in, 1,600 for TEXT_MESSAGE. " + PLACEHOLDERS_TEXT
    )
    html: Html | None = Field(
        default=None,
        description="E-mail only: an HTML part besides the text; at most 500,000 characters filled "
        "in. As content, the values HTML-escaped.",
    )
    threadId: Int64 | None = Field(default=None, description="Record it in this thread (default: a new one)")
    sendAt: Instant | None = Field(default=None, description="Not before this instant (default: now)")
    marketing: Marketing = Field(default=None, description=MARKETING_TEXT)


class MessageAccepted(BaseModel):
    messageId: Int64
    threadId: Int64
    communicationId: Int64
    status: MessageStatus
    authorization: AuthorizationReceipt


class StatusChangeRead(BaseModel):
    status: MessageStatus
    previousStatus: MessageStatus | None = None
    reason: str | None = None
    # The decision taken at this change (acceptance, the re-check before sending).
    rule: Rule | None = None
    ledgerEntryId: Int64 | None = None
    blockReason: str | None = None
    occurredAt: datetime


class MessageRead(BaseModel):
    messageId: Int64
    customerId: Int64
    batchId: Int64 | None = None
    threadId: Int64 | None = Field(default=None, description="A bulk message gets it when it is taken up")
    communicationId: Int64 | None = None
    messageCategory: MessageCategory
    communicationChannel: SendChannel
    subject: str | None = None
    status: MessageStatus
    statusReason: str | None = None
    sendAt: datetime
    attempts: int
    providerMessageId: str | None = None
    messageIdHeader: str | None = Field(default=None, description="The e-mail's Message-ID")
    marketing: bool = Field(
        description="Marketing mail, decided at acceptance (the send's `marketing`, else its "
        "category's, for GENERAL the studio's `generalIsMarketing`): its e-mail carries the "
        "one-click unsubscribe headers"
    )
    createdAt: datetime
    statusHistory: list[StatusChangeRead]


class BulkMessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_SUBJECT_FOR_EMAIL)

    # Distinct (checked below): published as uniqueItems.
    customerIds: list[Int64] = Field(
        min_length=1, max_length=MAX_BULK_RECIPIENTS, json_schema_extra={"uniqueItems": True}
    )
    messageCategory: MessageCategory
    communicationChannel: SendChannel
    subject: Subject | None = Field(
        default=None,
        description="E-mail subject (required for EMAIL); at most 255 characters with a member's "
        "values filled in. " + PLACEHOLDERS_TEXT,
    )
    content: Content = Field(
        description="The text; at most 100,000 characters (TEXT_MESSAGE: 1,600) with a member's "
        "values filled in, else that member is refused with RENDERED_TOO_LONG. " + PLACEHOLDERS_TEXT
    )
    html: Html | None = Field(
        default=None,
        description="E-mail only: an HTML part; at most 500,000 characters filled in. As content, "
        "the values HTML-escaped.",
    )
    sendAt: Instant | None = None
    marketing: Marketing = Field(default=None, description=MARKETING_TEXT)

    @field_validator("customerIds")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("must not name a customer twice")
        return value


class Refusal(BaseModel):
    customerId: Int64
    rule: str = Field(
        description="The decision's rule (BLOCKED, NOT_OFFERED, STUDIO_ENFORCED, CUSTOMER_CHOICE, "
        "STUDIO_DEFAULT), or CUSTOMER_NOT_FOUND, NO_ADDRESS, RENDERED_TOO_LONG (a field over its "
        "limit with this customer's values filled in)"
    )


class BulkAccepted(BaseModel):
    batchId: Int64
    accepted: int
    refused: list[Refusal]


class BatchRead(BaseModel):
    batchId: Int64
    messageCategory: MessageCategory
    communicationChannel: SendChannel
    accepted: int
    refused: int
    createdAt: datetime
    statusCounts: dict[str, int] = Field(description="Messages of the batch by their current status")


# A time of day, whole: the pattern is published, so clients see the rule the server checks.
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
# Categories that can have quiet hours (CONTRACT and APPOINTMENT are never deferred): published so,
# while the field still takes every category and answers QUIET_HOURS_NOT_ALLOWED for the others.
_DEFERRABLE: list[JsonValue] = ["GENERAL", "NEWSLETTER", "LOYALTY_PROGRAM"]


def _ascii_address(value: str) -> str:
    """The From address with its domain in ASCII (IDNA: ``info@bücher.example`` is sent as
    ``info@xn--bcher-kva.example``); a local part that is not ASCII needs SMTPUTF8, which we do
    not send: refused here rather than failing every e-mail of the studio later."""
    ascii_form = validate_email(value, check_deliverability=False).ascii_email
    if ascii_form is None:
        raise ValueError("the part before @ must be ASCII (internationalised domains are fine)")
    return ascii_form


class QuietHours(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messageCategory: MessageCategory = Field(json_schema_extra={"enum": _DEFERRABLE})
    start: ClockTime = Field(description="Local time (the studio's zone) the quiet hours begin, HH:MM")
    end: ClockTime = Field(description="Local time they end, HH:MM (before start: the next day)")


class MessageSettingsWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    emailFrom: Annotated[EmailStr, AfterValidator(_ascii_address)] | None = Field(
        default=None, description="The From address of the studio's e-mail (default: the server's)"
    )
    quietHours: list[QuietHours] | None = Field(
        default=None,
        max_length=len(_DEFERRABLE),
        description="Replaces every category's quiet hours (categories left out have none; each at "
        "most once); absent or null: the defaults (NEWSLETTER and LOYALTY_PROGRAM 21:00-08:00). "
        "CONTRACT and APPOINTMENT messages are never deferred.",
    )
    generalIsMarketing: StrictBool = Field(
        default=True,
        description="Whether a GENERAL send that does not say `marketing` is marketing mail (its "
        "e-mail then carries the one-click unsubscribe headers); absent: true. Decided when a send "
        "is accepted: messages already queued keep theirs.",
    )


class MessageSettingsRead(BaseModel):
    emailFrom: str = Field(description="The From address in effect")
    emailFromConfigured: bool
    quietHours: list[QuietHours]
    quietHoursDefault: bool
    generalIsMarketing: bool = Field(description="Whether GENERAL sends that do not say are marketing")


class BounceSettings(BaseModel):
    """How many soft bounces (full mailbox, expired, transient failure at the recipient) within how
    many days suppress a member's EMAIL with `SOFT_BOUNCED`."""

    model_config = ConfigDict(extra="forbid")

    softBounceLimit: StrictInt = Field(
        default=3, ge=1, le=100, description="Soft bounces that suppress (1-100; absent: 3)"
    )
    softBounceDays: StrictInt = Field(
        default=15, ge=1, le=365, description="Within this many days (1-365; absent: 15)"
    )
