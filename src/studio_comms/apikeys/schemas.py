from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from studio_comms.core.auth import Scope
from studio_comms.core.schemas import Int64


class ApiKeyCreate(BaseModel):
    # Unknown fields are refused, as the published schema says (additionalProperties: false).
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    scopes: list[Scope] = Field(min_length=1)


class ApiKeyRead(BaseModel):
    keyId: Int64
    name: str
    scopes: list[Scope]
    prefix: str = Field(description="The visible start of the key, to tell keys apart.")
    createdAt: datetime
    revokedAt: datetime | None = None
    activationConfirmedAt: datetime | None = Field(
        default=None,
        description="When the integration using the key first called POST /v1/studios/confirmActivation.",
    )


class ApiKeyCreated(BaseModel):
    keyId: Int64
    apiKey: str = Field(description="The key itself. Shown only in this response; store it now.")
    name: str
    scopes: list[Scope]
