"""Wire models. Names and fields are the Sport Alliance ones, so generated clients line up."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from studio_comms.core.schemas import Int64
from studio_comms.core.vocabulary import (
    CommunicationChannel,
    InlineCommunicationChannel,
    InlineMessageCategory,
    MessageCategory,
)
from studio_comms.preferences.rules import Rule


class CommunicationChannelWrapper(BaseModel):
    """A channel of a message category: whether it is active and whether the customer may change it."""

    communicationChannel: InlineCommunicationChannel
    customerOverridable: StrictBool | None = Field(
        default=None,
        description="Whether the customer may change this channel. Ignored in PUT bodies.",
    )
    active: StrictBool | None = Field(
        default=None,
        description="Whether communication on this channel is allowed. Absent in a PUT: unchanged.",
    )


class CommunicationPreference(BaseModel):
    """The preference of a customer for one message category."""

    messageCategory: InlineMessageCategory | None = None
    channels: list[CommunicationChannelWrapper] | None = None


class OfferedChannel(BaseModel):
    """A channel the studio offers in a category (the operator's PUT): both flags are required, as
    a settings file that leaves one out must not silently switch a channel off."""

    communicationChannel: InlineCommunicationChannel
    active: StrictBool = Field(description="Whether communication on this channel is allowed by default.")
    customerOverridable: StrictBool = Field(description="Whether the customer may change this channel.")


class OfferedCategory(BaseModel):
    """The channels the studio offers for one message category (the operator's PUT)."""

    messageCategory: InlineMessageCategory
    channels: list[OfferedChannel] = Field(default_factory=list)


class ConsentLedgerEntryRead(BaseModel):
    """One recorded change of one (category, channel), newest first in the history."""

    model_config = ConfigDict(title="ConsentLedgerEntry")

    entryId: Int64
    messageCategory: MessageCategory
    communicationChannel: CommunicationChannel
    previousActive: bool
    active: bool
    source: str = Field(
        description="API_KEY, PREFERENCE_CENTER, UNSUBSCRIBE_LINK, OPERATOR, or what came back from a "
        "send: INBOUND_KEYWORD (a member's SMS reply: revocation words, START), BOUNCE, COMPLAINT"
    )
    actor: str
    requestId: str | None = None
    occurredAt: datetime
    ipAddress: str | None = None
    userAgent: str | None = None
    textVersion: str | None = Field(
        default=None, description="Changes by the member: the version of the texts the member saw"
    )
    details: str | None = Field(
        default=None,
        description="What the change rests on, in words: for INBOUND_KEYWORD, the words of the "
        'member\'s SMS reply that made it (e.g. `SMS reply "OPT OUT"`)',
    )


class CommunicationPermission(BaseModel):
    """The decision for one (category, channel) and the rule that made it."""

    permitted: bool
    reason: Rule
    messageCategory: MessageCategory
    communicationChannel: CommunicationChannel
    ledgerEntryId: Int64 | None = Field(
        default=None, description="The consent ledger entry behind a CUSTOMER_CHOICE decision."
    )
    blockReason: str | None = Field(
        default=None,
        description="Why the channel is blocked (the suppression's reason; `ERASED`: the customer was "
        "erased, which blocks every channel).",
    )
    decidedAt: datetime


class SuppressionReason(StrEnum):
    OPERATOR = "OPERATOR"
    # Kept for blocks operators set before delivery fed bounces in itself (BOUNCED).
    HARD_BOUNCE = "HARD_BOUNCE"
    SMS_STOP = "SMS_STOP"
    ERASED = "ERASED"
    # An RFC 3464 permanent failure (5.x.x) for the member's address.
    BOUNCED = "BOUNCED"
    # An RFC 5965 abuse report: the member marked our mail as spam.
    COMPLAINED = "COMPLAINED"
    # N soft bounces (full mailbox, expired, transient) within D days (per studio, default 3 in 15);
    # lifted by an operator or by the member's own opt-in to an EMAIL slot.
    SOFT_BOUNCED = "SOFT_BOUNCED"


class SuppressionWrite(BaseModel):
    # Unknown fields are refused, as the published schema says (additionalProperties: false).
    model_config = ConfigDict(extra="forbid")

    reason: SuppressionReason = SuppressionReason.OPERATOR


class SuppressionRead(BaseModel):
    communicationChannel: CommunicationChannel
    reason: SuppressionReason
    createdAt: datetime
