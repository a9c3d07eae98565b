"""The official customer reads (getCustomerById, getCustomers, getCustomerBy, searchCustomers).

Answers carry what studio-comms holds of a customer (``official_schemas.Customer``); nothing else
is filled in.
"""

from __future__ import annotations

from studio_comms.core.slicing import START, parse_offset
from studio_comms.customers.errors import (
    CriterionNotHeld,
    CustomerNotFound,
    CustomerNumberNotFound,
    SearchCriteriaMissing,
)
from studio_comms.customers.official_schemas import (
    Customer,
    CustomerSearchRequest,
    CustomerSlicedResult,
    CustomerStatusFilter,
    Language,
)
from studio_comms.customers.repository import CustomerRow, CustomersRepository
from studio_comms.customers.schemas import CustomerStatus
from studio_comms.db.tx import Tx

# What getCustomerBy and searchCustomers can look customers up by here.
LOOKUP_BY = "customerNumber"
SEARCH_BY = "firstName, lastName, email"


def official(row: CustomerRow, studio_id: int) -> Customer:
    language = None
    if row.language is not None:
        code, _, country = row.language.partition("-")
        language = Language(languageCode=code, countryCode=country or None)
    return Customer(
        id=row.customer_id,
        customerNumber=row.customer_number,
        firstName=row.first_name,
        lastName=row.last_name,
        email=row.email,
        status=CustomerStatus(row.status),
        phonePrivateMobile=row.phone_number,
        accessRefusal=False,
        studioId=studio_id,
        preferredLanguage=language,
    )


def customer_by_id(tx: Tx, studio_id: int, customer_id: int) -> Customer:
    row = CustomersRepository(tx, studio_id).get(customer_id)
    if row is None:
        raise CustomerNotFound(customerId=customer_id)
    return official(row, studio_id)


def customer_slice(
    tx: Tx, studio_id: int, status: CustomerStatusFilter, offset: str | None, slice_size: int
) -> CustomerSlicedResult:
    """One slice of the studio's customers of ``status``, by ascending id: ``offset`` is the id the
    previous slice ended with (``"0"`` or none: the start); an empty slice hands it back."""
    after = parse_offset(offset)
    rows = CustomersRepository(tx, studio_id).slice(status.value, after=after or 0, limit=slice_size + 1)
    page = rows[:slice_size]
    return CustomerSlicedResult(
        result=[official(row, studio_id) for row in page],
        hasNext=len(rows) > slice_size,
        offset=str(page[-1].customer_id) if page else offset or START,
    )


def customer_by(tx: Tx, studio_id: int, customer_number: str | None, not_held: list[str]) -> Customer:
    """The customer with this customer number; ``not_held``: the official criteria given that
    studio-comms holds nothing for (400 naming the first)."""
    if not_held:
        raise CriterionNotHeld(reference=not_held[0], criterion=not_held[0], criteria=LOOKUP_BY)
    if customer_number is None:
        raise SearchCriteriaMissing(criteria=LOOKUP_BY)
    row = CustomersRepository(tx, studio_id).with_number(customer_number)
    if row is None:
        raise CustomerNumberNotFound(reference="customerNumber", customerNumber=customer_number)
    return official(row, studio_id)


def search(tx: Tx, studio_id: int, request: CustomerSearchRequest) -> list[Customer]:
    """The studio's customers matching every given criterion, by id: names by their beginning and
    e-mail addresses whole, both without regard to case (Unicode case folding, the same on both
    databases, so the names are compared here rather than in SQL)."""
    if request.dateOfBirth is not None:
        raise CriterionNotHeld(reference="dateOfBirth", criterion="dateOfBirth", criteria=SEARCH_BY)
    first = _folded(request.firstName)
    last = _folded(request.lastName)
    if first is None and last is None and not request.email:
        raise SearchCriteriaMissing(criteria=SEARCH_BY)
    repository = CustomersRepository(tx, studio_id)
    rows = repository.rows_with_email(request.email) if request.email else repository.all()
    return [
        official(row, studio_id)
        for row in rows
        if (first is None or row.first_name.casefold().startswith(first))
        and (last is None or row.last_name.casefold().startswith(last))
    ]


def _folded(prefix: str | None) -> str | None:
    # An empty prefix asks for nothing.
    return prefix.casefold() if prefix else None
