from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, EmailStr, Field

from studio_comms.core.schemas import Int64
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


class CustomerRead(BaseModel):
    customerId: Int64
    firstName: str
    lastName: str
    email: str | None = None
    phoneNumber: str | None = None
    language: str | None = None
