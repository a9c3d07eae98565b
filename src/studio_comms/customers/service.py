"""Customers: the operator keeps their details; other packages ask whether one exists."""

from __future__ import annotations

from datetime import datetime

from studio_comms.customers.errors import CustomerNotFound
from studio_comms.customers.repository import CustomerDetails, CustomersRepository
from studio_comms.customers.repository import CustomerRow as CustomerRow
from studio_comms.customers.schemas import CustomerRead, CustomerUpsert
from studio_comms.db.tx import Tx


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
    """Create or replace the customer's details; returns the result and whether it was created."""
    repository = CustomersRepository(tx, studio_id)
    details = CustomerDetails(
        first_name=data.firstName,
        last_name=data.lastName,
        email=str(data.email) if data.email else None,
        phone_number=data.phoneNumber,
        language=data.language,
    )
    created = not repository.exists(customer_id, lock=True)
    if created:
        repository.insert(customer_id, details, now=now)
    else:
        repository.update(customer_id, details, now=now)
    return get_customer(tx, studio_id, customer_id), created


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
    )


def revoke_links(tx: Tx, studio_id: int, customer_id: int) -> None:
    """Every preference-center and unsubscribe link issued to the customer so far stops working
    (a lost phone, a forwarded e-mail; erasure); links issued afterwards work."""
    require_customer(tx, studio_id, customer_id, lock=True)
    CustomersRepository(tx, studio_id).revoke_links(customer_id)
