"""Wire models and field types shared by every domain."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

T = TypeVar("T")

# Ids are published as the official spec publishes them, so generated clients use 64-bit ints.
Int64 = Annotated[int, WithJsonSchema({"type": "integer", "format": "int64"})]


def inline_enum(enum: type[StrEnum]) -> WithJsonSchema:
    """The enum written into the property, as the official spec does, instead of a ``$ref``.

    Generators name an inline enum after its model and property (``CommunicationThreadRequest``
    ``CommunicationChannel``) and a referenced one after the enum: to line up with clients
    generated from the official spec, the compatible schemas must inline where it does.
    """
    return WithJsonSchema({"type": "string", "enum": [member.value for member in enum]})


class TypedArgumentType(StrEnum):
    """The official ``TypedArgumentDto.type`` values (deprecated there; we never send them)."""

    TIMESTAMP = "TIMESTAMP"
    BOOLEAN = "BOOLEAN"
    DATE = "DATE"
    MONTH_DAY = "MONTH_DAY"
    TIME = "TIME"
    TERM = "TERM"
    TERM_LIST = "TERM_LIST"
    INTEGER = "INTEGER"
    DECIMAL = "DECIMAL"
    STRING = "STRING"
    MONEY = "MONEY"
    LIMITABLE_CONFIG_PROPERTY = "LIMITABLE_CONFIG_PROPERTY"
    I18N_KEY = "I18N_KEY"
    I18N_KEY_LIST = "I18N_KEY_LIST"
    PERMISSION_LIST = "PERMISSION_LIST"
    ENUM = "ENUM"
    AVAILABILITY_LIST = "AVAILABILITY_LIST"


class TypedArgumentDto(BaseModel):
    """Published so clients generated from our document have the official error classes."""

    value: dict[str, Any] | None = None
    type: Annotated[TypedArgumentType, inline_enum(TypedArgumentType)] | None = None


class ErrorResponse(BaseModel):
    """Error data (Sport Alliance ``ErrorResponse``): the body of every 4xx and 5xx."""

    model_config = ConfigDict(title="ErrorResponse")

    errorMessage: str = Field(description="Human-readable message in the language of Accept-Language.")
    errorCode: str | None = Field(default=None, description="Stable machine-readable code.")
    traceId: str | None = Field(default=None, description="The request id (also in X-Request-Id).")
    args: list[dict[str, Any]] | None = Field(
        default=None,
        description="Deprecated in the official API; never sent (read errorCode).",
        json_schema_extra={"deprecated": True},
    )
    typedArgs: list[TypedArgumentDto] | None = Field(
        default=None,
        description="Deprecated in the official API; never sent (read errorCode).",
        json_schema_extra={"deprecated": True},
    )
    reference: str | None = Field(
        default=None, description="Path of the offending field, e.g. [0].channels[1].communicationChannel"
    )


class Slice(BaseModel, Generic[T]):
    """A Sport Alliance data slice: pass ``offset`` back to get the next one while ``hasNext``."""

    result: list[T]
    offset: str = Field(description="Pass it back for the next slice (always present; 0: the start).")
    hasNext: bool
