from __future__ import annotations

from pydantic import BaseModel, EmailStr, Field

from studio_comms.studios.schemas import LANGUAGE_PATTERN

# E.164, so that text messages can be sent to it later without guessing a country.
PHONE_PATTERN = r"^\+[1-9][0-9]{6,14}$"


class CustomerUpsert(BaseModel):
    firstName: str = Field(min_length=1, max_length=200)
    lastName: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = Field(default=None, max_length=320)
    phoneNumber: str | None = Field(default=None, pattern=PHONE_PATTERN, description="E.164")
    language: str | None = Field(default=None, pattern=LANGUAGE_PATTERN)


class CustomerRead(BaseModel):
    customerId: int
    firstName: str
    lastName: str
    email: str | None = None
    phoneNumber: str | None = None
    language: str | None = None
