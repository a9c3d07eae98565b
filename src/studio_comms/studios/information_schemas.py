"""``StudioInformation`` as the official spec publishes it, and the operator's body that sets it.

The read side reproduces the official schema field for field (names, types, formats, nested
schema names), so ``getStudioInformation`` of a client generated from the official spec works
unchanged. The operator sets every field the studio can have; access codes are not a feature of
studio-comms, so ``accessCodeConfiguration.enabled`` is whatever the operator says (default false).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)

from studio_comms.core.schemas import DateText, DateTimeText, Int64, NotBlank, inline_enum


def _bounded_int32(minimum: int, maximum: int) -> WithJsonSchema:
    """An int32's published schema with the bounds its ``Field`` checks (``WithJsonSchema``
    replaces the whole schema, so the bounds must be stated here too, or the document is looser
    than the check)."""
    return WithJsonSchema({"type": "integer", "format": "int32", "minimum": minimum, "maximum": maximum})


Hour = Annotated[StrictInt, Field(ge=0, le=23), _bounded_int32(0, 23)]
Minute = Annotated[StrictInt, Field(ge=0, le=59), _bounded_int32(0, 59)]
Second = Annotated[StrictInt, Field(ge=0, le=59), _bounded_int32(0, 59)]
Nano = Annotated[StrictInt, Field(ge=0, le=999_999_999), _bounded_int32(0, 999_999_999)]


def _bounded_double(minimum: int, maximum: int) -> WithJsonSchema:
    return WithJsonSchema({"type": "number", "format": "double", "minimum": minimum, "maximum": maximum})


Longitude = Annotated[StrictFloat, Field(ge=-180, le=180), _bounded_double(-180, 180)]
Latitude = Annotated[StrictFloat, Field(ge=-90, le=90), _bounded_double(-90, 90)]
CountryCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{2}$"),
    WithJsonSchema({"type": "string", "format": "ISO 3166-1", "pattern": "^[A-Z]{2}$"}),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NotBlank]
# Only web addresses (checked below), published so: "^\s*https?://" (surrounding blanks are dropped).
Url = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2048),
    Field(json_schema_extra={"pattern": "^\\s*https?://"}),
]


class DayOfWeek(StrEnum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


Day = Annotated[DayOfWeek, inline_enum(DayOfWeek)]


class LocalTime(BaseModel):
    """A time of day, as the official API writes it (an object, not a string)."""

    # Unknown fields are refused, as the published schema says (additionalProperties: false).
    model_config = ConfigDict(extra="forbid")

    hour: Hour | None = None
    minute: Minute | None = None
    second: Second | None = None
    nano: Nano | None = None


class StudioOpeningHours(BaseModel):
    # Unknown fields are refused, as the published schema says (additionalProperties: false).
    model_config = ConfigDict(extra="forbid")

    dayOfWeekFrom: Day | None = None
    dayOfWeekTo: Day | None = None
    timeFrom: LocalTime | None = Field(default=None, description="Start hour of the range opening hours")
    timeTo: LocalTime | None = Field(default=None, description="End hour of the range opening hours")


class StudioClosingHours(BaseModel):
    """Interval within the studio is closed."""

    # Unknown fields are refused, as the published schema says (additionalProperties: false).
    model_config = ConfigDict(extra="forbid")

    reason: Text | None = None
    dateTimeFrom: DateTimeText | None = None
    dateTimeTo: DateTimeText | None = None


class StudioAccessCodeConfiguration(BaseModel):
    # Unknown fields are refused, as the published schema says (additionalProperties: false).
    model_config = ConfigDict(extra="forbid")

    enabled: StrictBool | None = None


class StudioLocation(BaseModel):
    # Unknown fields are refused, as the published schema says (additionalProperties: false).
    model_config = ConfigDict(extra="forbid")

    longitude: Longitude | None = None
    latitude: Latitude | None = None


class Tag(BaseModel):
    # Unknown fields are refused, as the published schema says (additionalProperties: false).
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class StudioInformationFields(BaseModel):
    """What the operator sets; ``GET /v1/studios/information`` answers it with the studio's id."""

    # Unknown fields are refused, as the published schema says (additionalProperties: false).
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    country: Text | None = None
    countryCode: CountryCode | None = None
    openingDate: DateText | None = None
    closingDate: DateText | None = None
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)] | None = None
    logoUrl: Url | None = None
    telephone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    website: Url | None = None
    openingHours: list[StudioOpeningHours] | None = Field(default=None, max_length=100)
    publicOpeningHours: list[StudioOpeningHours] | None = Field(default=None, max_length=100)
    closingHours: list[StudioClosingHours] | None = Field(default=None, max_length=500)
    street: Text | None = None
    houseNumber: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = None
    zip: Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)] | None = None
    city: Text | None = None
    location: StudioLocation | None = Field(default=None, description="Studio location")
    studioTags: list[Tag] | None = Field(default=None, max_length=100)


class StudioInformationUpdate(StudioInformationFields):
    """The whole information of a studio: fields left out are cleared (``name`` stays if absent)."""

    name: Text | None = None
    email: EmailStr | None = Field(default=None, max_length=320)
    accessCodeConfiguration: StudioAccessCodeConfiguration | None = None

    @field_validator("logoUrl", "website")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        # Partners show these to members: only web addresses, never javascript: or data: links.
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must start with https:// or http://")
        return value


class StudioInformation(StudioInformationFields):
    """General studio information visible for user (official schema)."""

    studioId: Int64
    accessCodeConfiguration: StudioAccessCodeConfiguration
