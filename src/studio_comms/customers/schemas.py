from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
)

from studio_comms.core.schemas import Int64, NotBlank, inline_enum, not_blank
from studio_comms.studios.schemas import LANGUAGE_PATTERN, Name


def _bare_address(value: object) -> object:
    # email-validator accepts "Name <a@b>" and drops the name; we store what we were given.
    if isinstance(value, str) and ("<" in value or ">" in value or " " in value.strip()):
        raise ValueError("give the bare address, e.g. erika@example.org")
    return value


Email = Annotated[EmailStr, BeforeValidator(_bare_address)]

# As people write numbers: stored in E.164 (``core.phone``), a local number read in the studio's
# country, so text messages can be sent to it later without guessing one.
PHONE_PATTERN = r"^\+?[0-9 ()./-]{4,40}$"


class CustomerStatus(StrEnum):
    """The official ``Customer.status``."""

    MEMBER = "MEMBER"  # with contracts attached
    PROSPECT = "PROSPECT"  # without contracts
    FORMER_MEMBER = "FORMER_MEMBER"


InlineCustomerStatus = Annotated[CustomerStatus, inline_enum(CustomerStatus)]

# The studio's own customer number ("1-12345"), unique within the studio; surrounding blanks dropped.
CustomerNumber = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(not_blank),
    NotBlank,
]


class CustomerUpsert(BaseModel):
    # Unknown fields are refused, as the published schema says (additionalProperties: false).
    model_config = ConfigDict(extra="forbid")

    firstName: Name
    lastName: Name
    email: Email | None = Field(default=None, max_length=320)
    phoneNumber: str | None = Field(
        default=None,
        pattern=PHONE_PATTERN,
        description="E.164, or a local number of the studio's country (stored in E.164)",
    )
    language: str | None = Field(default=None, pattern=LANGUAGE_PATTERN)
    customerNumber: CustomerNumber | None = Field(
        default=None,
        description="The studio's customer number (official `customerNumber`), unique in the studio",
    )
    status: InlineCustomerStatus = Field(
        default=CustomerStatus.MEMBER, description="Official `Customer.status` (default: MEMBER)"
    )


class CustomerRead(BaseModel):
    customerId: Int64
    firstName: str
    lastName: str
    email: str | None = None
    phoneNumber: str | None = None
    language: str | None = None
    customerNumber: str | None = None
    status: InlineCustomerStatus
