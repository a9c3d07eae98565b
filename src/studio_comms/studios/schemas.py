from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints, field_validator

from studio_comms.core.schemas import Int64, NotBlank

LANGUAGE_PATTERN = r"^[a-z]{2}(-[A-Z]{2})?$"
# Names: surrounding blanks are dropped, and nothing but blanks is no name.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NotBlank]
# IANA zone names people use; "Factory" and the right/ and posix/ variants are tzdata internals.
_ZONES = frozenset(z for z in available_timezones() if z == "UTC" or ("/" in z and z != "Factory"))


# Published as the list it is, so clients (and schema-driven tests) know which names are taken.
_ZONE_NAMES: list[JsonValue] = [*sorted(_ZONES)]
ZONE_ENUM: dict[str, JsonValue] = {"enum": _ZONE_NAMES}


class ConsentEnforcement(StrEnum):
    """What happens to an OUTGOING communication the customer's preferences do not permit.

    RECORD (the default): it is stored with an `authorization` receipt saying it was not permitted
    and why, and its COMMUNICATION_CREATED event says `permitted: false`. REJECT: it is refused
    with 409 COMMUNICATION_NOT_PERMITTED and nothing is stored.
    """

    REJECT = "REJECT"
    RECORD = "RECORD"


# A partner recording what it already sent must never lose the record.
DEFAULT_CONSENT_ENFORCEMENT = ConsentEnforcement.RECORD


class StudioCreate(BaseModel):
    # Unknown fields are refused, as the published schema says (additionalProperties: false).
    model_config = ConfigDict(extra="forbid")

    name: Name
    language: str = Field(default="de", pattern=LANGUAGE_PATTERN)
    timeZone: str = Field(default="Europe/Berlin", max_length=64, json_schema_extra=ZONE_ENUM)
    consentEnforcement: ConsentEnforcement | None = Field(
        default=None, description="Leave out to follow the default (RECORD)."
    )

    @field_validator("timeZone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in _ZONES:
            raise ValueError("unknown time zone; use an IANA name such as Europe/Berlin")
        return value


class StudioUpdate(BaseModel):
    """Only the fields given change."""

    # Unknown fields are refused, as the published schema says (additionalProperties: false).
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    language: str | None = Field(default=None, pattern=LANGUAGE_PATTERN)
    timeZone: str | None = Field(default=None, max_length=64, json_schema_extra=ZONE_ENUM)
    consentEnforcement: ConsentEnforcement | None = None

    @field_validator("timeZone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return None if value is None else StudioCreate._known_zone(value)


class StudioRead(BaseModel):
    studioId: Int64
    name: str
    language: str
    timeZone: str
    consentEnforcement: ConsentEnforcement
    consentEnforcementChosen: bool = Field(
        description="Whether an operator chose the mode; false: the default applies (and follows "
        "changes of the default)."
    )
