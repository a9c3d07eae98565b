"""Wire models of the link-issuing endpoints (extensions)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from studio_comms.core.vocabulary import CommunicationChannel, MessageCategory


class PageLanguage(StrEnum):
    en = "en"
    de = "de"


class PreferenceLinkCreate(BaseModel):
    # Unknown fields are refused, as the published schema says (additionalProperties: false).
    model_config = ConfigDict(extra="forbid")

    expiresInDays: StrictInt = Field(default=30, ge=1, le=365)
    language: PageLanguage | None = Field(
        default=None, description="Page language; default: the customer's, else the browser's"
    )


class PreferenceLink(BaseModel):
    url: str
    expiresAt: datetime


class UnsubscribeLinkCreate(BaseModel):
    # Unknown fields are refused, as the published schema says (additionalProperties: false).
    model_config = ConfigDict(extra="forbid")

    messageCategory: MessageCategory
    communicationChannel: CommunicationChannel
    # Mail providers expect unsubscribe links in old messages to keep working for a long time.
    expiresInDays: StrictInt = Field(default=365, ge=1, le=730)


class ListUnsubscribeHeaders(BaseModel):
    """Headers to put on the email as they are (RFC 2369 and RFC 8058)."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    list_unsubscribe: str = Field(alias="List-Unsubscribe")
    list_unsubscribe_post: str = Field(alias="List-Unsubscribe-Post")


class UnsubscribeLink(BaseModel):
    url: str
    listUnsubscribeHeaders: ListUnsubscribeHeaders
    expiresAt: datetime
