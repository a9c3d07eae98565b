"""Customers: the operator keeps their details; other packages ask whether one exists."""

from __future__ import annotations

from datetime import datetime

from studio_comms.core.phone import NotAPhoneNumber, to_e164
from studio_comms.customers.errors import CustomerNotFound, CustomerNumberTaken, PhoneNumberInvalid
from studio_comms.customers.repository import CustomerDetails, CustomersRepository
from studio_comms.customers.repository import CustomerRow as CustomerRow
from studio_comms.customers.schemas import CustomerRead, CustomerStatus, CustomerUpsert
from studio_comms.db.tx import Tx
from studio_comms.studios.service import country_code


def require_customer(tx: Tx, studio_id: int, customer_id: int, *, lock: bool = False) -> None:
    """Raise ``CustomerNotFound`` unless the customer exists; ``lock`` serialises its writers."""
    if not CustomersRepository(tx, studio_id).exists(customer_id, lock=lock):
        raise CustomerNotFound(customerId=customer_id)


def lock_customer(tx: Tx, studio_id: int, customer_id: int) -> None:
    """Serialise the writers of one customer's rows until ``tx`` ends (PostgreSQL: a row lock on
    the customer). A transaction that is the database's sole writer (SQLite) needs none. It does
    not check that the customer exists: the caller's next read does."""
    if not tx.sole_writer:
        CustomersRepository(tx, studio_id).exists(customer_id, lock=True)


def find_customer(tx: Tx, studio_id: int, customer_id: int) -> CustomerRow | None:
    return CustomersRepository(tx, studio_id).get(customer_id)


def all_customers(tx: Tx, studio_id: int) -> dict[int, CustomerRow]:
    """Every customer of the studio by number, read at once (a bulk send names up to 10,000)."""
    return {customer.customer_id: customer for customer in CustomersRepository(tx, studio_id).all()}


def upsert_customer(
    tx: Tx, studio_id: int, customer_id: int, data: CustomerUpsert, *, now: datetime
) -> tuple[CustomerRead, bool]:
    """Create or replace the customer's details; returns the result and whether it was created.

    Raises ``CustomerNumberTaken`` when another customer of the studio has the customer number."""
    repository = CustomersRepository(tx, studio_id)
    details = CustomerDetails(
        first_name=data.firstName,
        last_name=data.lastName,
        email=str(data.email) if data.email else None,
        phone_number=_e164(tx, studio_id, data.phoneNumber),
        language=data.language,
        customer_number=data.customerNumber,
        status=data.status.value,
    )
    created = not repository.exists(customer_id, lock=True)
    if data.customerNumber is not None:
        # The unique constraint holds it against a concurrent writer too (a 409 either way).
        holder = repository.with_number(data.customerNumber)
        if holder is not None and holder.customer_id != customer_id:
            raise CustomerNumberTaken(
                reference="customerNumber", customerNumber=data.customerNumber, customerId=holder.customer_id
            )
    if created:
        repository.insert(customer_id, details, now=now)
    else:
        repository.update(customer_id, details, now=now)
    return get_customer(tx, studio_id, customer_id), created


def _e164(tx: Tx, studio_id: int, written: str | None) -> str | None:
    if written is None:
        return None
    # Only a local number needs the studio's country (one more read).
    region = None if written.startswith("+") else country_code(tx, studio_id)
    try:
        return to_e164(written, region)
    except NotAPhoneNumber:
        raise PhoneNumberInvalid(reference="phoneNumber", number=written) from None


def customers_with_phone(tx: Tx, studio_id: int, e164: str) -> list[int]:
    """The studio's customers with this number (a family may share one), by customer number."""
    return CustomersRepository(tx, studio_id).with_phone(e164)


def customers_with_email(tx: Tx, studio_id: int, address: str) -> list[int]:
    """The studio's customers with this address, compared without regard to case."""
    return CustomersRepository(tx, studio_id).with_email(address)


def get_customer(tx: Tx, studio_id: int, customer_id: int) -> CustomerRead:
    customer = CustomersRepository(tx, studio_id).get(customer_id)
    if customer is None:
        raise CustomerNotFound(customerId=customer_id)
    return CustomerRead(
        customerId=customer.customer_id,
        firstName=customer.first_name,
        lastName=customer.last_name,
        email=customer.email,
        phoneNumber=customer.phone_number,
        language=customer.language,
        customerNumber=customer.customer_number,
        status=CustomerStatus(customer.status),
    )


def revoke_links(tx: Tx, studio_id: int, customer_id: int) -> None:
    """Every preference-center and unsubscribe link issued to the customer so far stops working
    (a lost phone, a forwarded e-mail; erasure); links issued afterwards work."""
    require_customer(tx, studio_id, customer_id, lock=True)
    CustomersRepository(tx, studio_id).revoke_links(customer_id)
