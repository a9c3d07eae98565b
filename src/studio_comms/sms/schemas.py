"""Operator wire models: a studio's SMS provider account, members' replies for an operator."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from studio_comms.core.schemas import Int64


class SmsProvider(StrEnum):
    TWILIO = "TWILIO"


class SmsProviderWrite(BaseModel):
    # Unknown fields are refused, as the published schema says (additionalProperties: false).
    model_config = ConfigDict(extra="forbid")

    provider: SmsProvider = SmsProvider.TWILIO
    accountSid: Annotated[str, StringConstraints(pattern=r"^AC[0-9a-fA-F]{32}$")]
    authToken: Annotated[str, StringConstraints(min_length=16, max_length=128, pattern=r"^[!-~]+$")] = Field(
        description="Write-only: stored to authenticate sends and verify callbacks, never returned."
    )
    sender: Annotated[str, StringConstraints(min_length=2, max_length=64)] = Field(
        description="The number messages come from (E.164, or a local number of the studio's "
        "country), or a Messaging Service SID (MG…)."
    )


class SmsProviderRead(BaseModel):
    """The account as configured. The auth token is never shown again."""

    provider: SmsProvider
    accountSid: str
    sender: str
    authTokenSet: bool = True
    statusCallbackUrl: str = Field(description="Where Twilio posts delivery status (per message).")
    inboundUrl: str = Field(
        description="Configure as the sender number's 'A message comes in' webhook (HTTP POST)."
    )


class SmsReplyState(StrEnum):
    PENDING = "PENDING"
    APPLIED = "APPLIED"
    DISMISSED = "DISMISSED"


class SmsReplyRead(BaseModel):
    """A member's SMS reply that names a revocation or opt-in word without clearly asking for
    anything ("I'll stop by tomorrow"). Nothing was applied when it came; an operator decides."""

    model_config = ConfigDict(title="SmsReply")

    replyId: Int64
    sender: str = Field(description="The member's number (E.164)")
    customerIds: list[Int64] = Field(
        description="The studio's customers with that number when the reply came; applying revokes for each"
    )
    body: str = Field(description="The reply as the member wrote it")
    words: str = Field(description="The keyword words it names, e.g. `stop`")
    state: SmsReplyState
    receivedAt: datetime
    decidedAt: datetime | None = None
    decidedBy: str | None = None
