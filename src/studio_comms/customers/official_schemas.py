"""The official customer reads' wire models (Sport Alliance Open API 1.5.0, tag ``Customers``).

Named and typed as the official spec names and types them, so a client generated from it reads
our answers. ``Customer`` publishes the official properties studio-comms holds; the others (date of
birth, address, card numbers, bank account, idle periods, …) are left out of the document and of
every answer, never invented. ``accessRefusal`` is required by the official schema: studio-comms
keeps no access blocks, so it is always ``false``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from studio_comms.core.schemas import DateText, Int64, inline_enum
from studio_comms.customers.schemas import InlineCustomerStatus


class CardNumberFormat(StrEnum):
    """How card numbers are read (official); studio-comms holds no card numbers."""

    DECIMAL = "DECIMAL"
    HEX_MSB = "HEX_MSB"
    HEX_LSB = "HEX_LSB"


class CustomerStatusFilter(StrEnum):
    """The official ``customerStatus`` of getCustomers."""

    MEMBER = "MEMBER"
    PROSPECT = "PROSPECT"


InlineStatusFilter = Annotated[CustomerStatusFilter, inline_enum(CustomerStatusFilter)]


class Language(BaseModel):
    """Basic language information (official)."""

    languageCode: str = Field(json_schema_extra={"format": "ISO 639-1"}, examples=["de"])
    countryCode: str | None = Field(default=None, json_schema_extra={"format": "ISO 3166-1"})


class Customer(BaseModel):
    """Customer information (official ``Customer``): the fields studio-comms holds."""

    id: Int64 = Field(description="Unique ID of the customer (the studio's customerId)")
    customerNumber: str | None = Field(default=None, description="Customer number")
    firstName: str | None = None
    lastName: str | None = None
    email: str | None = None
    status: InlineCustomerStatus
    phonePrivateMobile: str | None = Field(
        default=None, description="The customer's phone number (E.164), the one text messages go to"
    )
    accessRefusal: bool = Field(description="Always false: studio-comms keeps no access blocks")
    studioId: Int64 | None = None
    preferredLanguage: Language | None = None


class CustomerSlicedResult(BaseModel):
    result: list[Customer] = Field(description="List of customers")
    hasNext: bool = Field(description="True if there exists next data slice")
    offset: str = Field(description="Offset for next query (last ID of the customer)")


class CustomerSearchRequest(BaseModel):
    """Customer search request (official). All given criteria must match."""

    firstName: str | None = Field(
        default=None, description="The first name starts with it (case-insensitive)"
    )
    lastName: str | None = Field(default=None, description="The last name starts with it (case-insensitive)")
    email: str | None = Field(default=None, description="The e-mail address (case-insensitive)")
    dateOfBirth: DateText | None = Field(
        default=None, description="Not held by studio-comms: a search by it answers 400"
    )
    cardNumberFormat: CardNumberFormat = CardNumberFormat.DECIMAL
