"""Wire models shared by every domain."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class ErrorResponse(BaseModel):
    """Error data (Sport Alliance ``ErrorResponse``): the body of every 4xx and 5xx."""

    model_config = ConfigDict(title="ErrorResponse")

    errorMessage: str = Field(description="Human-readable message in the language of Accept-Language.")
    errorCode: str | None = Field(default=None, description="Stable machine-readable code.")
    traceId: str | None = Field(default=None, description="The request id (also in X-Request-Id).")
    reference: str | None = Field(
        default=None, description="Path of the offending field, e.g. [0].channels[1].communicationChannel"
    )


class Slice(BaseModel, Generic[T]):
    """A Sport Alliance data slice: pass ``offset`` back to get the next one while ``hasNext``."""

    result: list[T]
    offset: str | None = None
    hasNext: bool
