"""Wire models and field types shared by every domain."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, WithJsonSchema
from pydantic_core import PydanticCustomError

T = TypeVar("T")

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# Ids are published as the official spec publishes them, so generated clients use 64-bit ints.
# Strict: "1" or 1.0 where an id belongs is refused (400 naming the field), never taken for 1; and
# checked against the 64-bit range here, so both databases answer alike (SQLite raised an
# OverflowError beyond it, PostgreSQL refused the value).
Int64 = Annotated[
    int,
    Strict(),
    Field(ge=INT64_MIN, le=INT64_MAX),
    WithJsonSchema({"type": "integer", "format": "int64", "minimum": INT64_MIN, "maximum": INT64_MAX}),
]


def inline_enum(enum: type[StrEnum]) -> WithJsonSchema:
    """The enum written into the property, as the official spec does, instead of a ``$ref``.

    Generators name an inline enum after its model and property (``CommunicationThreadRequest``
    ``CommunicationChannel``) and a referenced one after the enum: to line up with clients
    generated from the official spec, the compatible schemas must inline where it does.
    """
    return WithJsonSchema({"type": "string", "enum": [member.value for member in enum]})


def _no_number(value: object) -> object:
    # A date or date-time is a string on the wire: pydantic's lax mode would read 0 as 1970-01-01.
    if isinstance(value, int | float):
        raise PydanticCustomError("datetime_type", "Input should be a date-time string")
    return value


# Dates and date-times from the wire: ISO-8601 strings only.
DateTimeText = Annotated[datetime, BeforeValidator(_no_number)]
DateText = Annotated[date, BeforeValidator(_no_number)]


# What counts as blank: Python's whitespace (str.isspace) and ECMAScript's \s together, spelled out
# so the server's check and the published pattern (read by ECMAScript-style validators) agree.
_BLANK = "\t\n\x0b\x0c\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_VISIBLE = re.compile(f"[^{_BLANK}]")
NOT_BLANK_PATTERN = f"^[^\\u0000]*[^{_BLANK}\\u0000][^\\u0000]*$"


def not_blank(value: str) -> str:
    if not _VISIBLE.search(value):
        raise ValueError("must not be empty")
    return value


# A text that must say something (a subject, a message): published with the pattern it is held to.
NotBlank = Field(json_schema_extra={"pattern": NOT_BLANK_PATTERN})


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
