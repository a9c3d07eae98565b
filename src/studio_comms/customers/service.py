from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from studio_comms.customers.errors import CustomerNotFound
from studio_comms.customers.models import Customer
from studio_comms.customers.repository import CustomersRepository
from studio_comms.customers.schemas import CustomerRead, CustomerUpsert
from studio_comms.studios.service import require_studio


def upsert_customer(
    session: Session, studio_id: int, customer_id: int, data: CustomerUpsert, *, now: datetime
) -> tuple[CustomerRead, bool]:
    """Create or replace the customer's details; returns the result and whether it was created."""
    require_studio(session, studio_id)
    repository = CustomersRepository(session, studio_id)
    customer = repository.get(customer_id)
    created = customer is None
    if customer is None:
        customer = Customer(studio_id=studio_id, customer_id=customer_id, created_at=now)
    customer.first_name = data.firstName
    customer.last_name = data.lastName
    customer.email = str(data.email) if data.email else None
    customer.phone_number = data.phoneNumber
    customer.language = data.language
    customer.updated_at = now
    repository.save(customer)
    return _to_wire(customer), created


def get_customer(session: Session, studio_id: int, customer_id: int) -> CustomerRead:
    require_studio(session, studio_id)
    customer = CustomersRepository(session, studio_id).get(customer_id)
    if customer is None:
        raise CustomerNotFound(customerId=customer_id)
    return _to_wire(customer)


def revoke_links(session: Session, studio_id: int, customer_id: int) -> None:
    """Every preference-center and unsubscribe link issued to the customer so far stops working
    (a lost phone, a forwarded e-mail); links issued afterwards work."""
    require_studio(session, studio_id)
    repository = CustomersRepository(session, studio_id)
    repository.require(customer_id, lock=True)
    repository.revoke_links(customer_id)


def _to_wire(customer: Customer) -> CustomerRead:
    return CustomerRead(
        customerId=customer.customer_id,
        firstName=customer.first_name,
        lastName=customer.last_name,
        email=customer.email,
        phoneNumber=customer.phone_number,
        language=customer.language,
    )
