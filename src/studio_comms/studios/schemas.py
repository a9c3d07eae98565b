from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator

LANGUAGE_PATTERN = r"^[a-z]{2}(-[A-Z]{2})?$"


class StudioCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    language: str = Field(default="de", pattern=LANGUAGE_PATTERN)
    timeZone: str = Field(default="Europe/Berlin", max_length=64)

    @field_validator("timeZone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value


class StudioRead(BaseModel):
    studioId: int
    name: str
    language: str
    timeZone: str
