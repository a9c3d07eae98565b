"""Operator wire models: the relay a studio sends through; what an event request did."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

_PRINTABLE = r"^[!-~]+$"


class MailProvider(StrEnum):
    POSTMARK = "POSTMARK"
    MAILGUN = "MAILGUN"
    SENDGRID = "SENDGRID"


class PostmarkWrite(BaseModel):
    model_config = ConfigDict(extra="forbid", title="PostmarkProviderWrite")

    provider: Literal["POSTMARK"]
    username: Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[!-9;-~]+$")] = Field(
        description="The basic-auth user name set in the Postmark webhook's URL (no colon)."
    )
    password: Annotated[str, StringConstraints(min_length=16, max_length=256, pattern=_PRINTABLE)] = Field(
        description="Write-only: the basic-auth password of the webhook URL, never returned."
    )


class MailgunWrite(BaseModel):
    model_config = ConfigDict(extra="forbid", title="MailgunProviderWrite")

    provider: Literal["MAILGUN"]
    signingKey: Annotated[str, StringConstraints(min_length=16, max_length=256, pattern=_PRINTABLE)] = Field(
        description="Write-only: the domain's HTTP webhook signing key, never returned."
    )


class SendgridWrite(BaseModel):
    model_config = ConfigDict(extra="forbid", title="SendgridProviderWrite")

    provider: Literal["SENDGRID"]
    verificationKey: Annotated[
        str, StringConstraints(min_length=40, max_length=512, pattern=r"^[A-Za-z0-9+/=]+$")
    ] = Field(description="Write-only: the Signed Event Webhook's verification key (base64 DER, P-256).")


MailProviderWrite = Annotated[PostmarkWrite | MailgunWrite | SendgridWrite, Field(discriminator="provider")]


class MailProviderRead(BaseModel):
    """The relay as configured. Its secret is never shown again."""

    provider: MailProvider
    username: str | None = Field(default=None, description="Postmark's basic-auth user name.")
    secretSet: bool = True
    eventsUrl: str = Field(description="The URL to configure as the provider's event webhook.")


class MailEventsResult(BaseModel):
    """What a provider's request did: events acted on, already seen, naming no message of ours."""

    received: int
    acted: int
    duplicates: int
    unattributed: int
    ignored: int
