from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from studio_comms.customers.errors import CustomerNotFound
from studio_comms.customers.models import Customer


class CustomersRepository:
    """A studio's customers; every query is filtered by that studio."""

    def __init__(self, session: Session, studio_id: int) -> None:
        self.session = session
        self.studio_id = studio_id

    def get(self, customer_id: int) -> Customer | None:
        return self.session.get(Customer, (self.studio_id, customer_id))

    def require(self, customer_id: int, *, lock: bool = False) -> None:
        """Raise ``CustomerNotFound`` unless the customer exists; ``lock`` serialises writers.

        The lock is a row lock on PostgreSQL; SQLite write transactions already hold the database
        write lock (BEGIN IMMEDIATE), so ``FOR UPDATE`` is rightly not rendered there.
        """
        query = select(Customer.customer_id).where(
            Customer.studio_id == self.studio_id, Customer.customer_id == customer_id
        )
        if lock:
            query = query.with_for_update()
        if self.session.execute(query).first() is None:
            raise CustomerNotFound(customerId=customer_id)

    def save(self, customer: Customer) -> None:
        assert customer.studio_id == self.studio_id
        self.session.add(customer)
        self.session.flush()

    def revoke_links(self, customer_id: int) -> None:
        """Invalidate every signed member link issued for the customer so far."""
        self.session.execute(
            update(Customer)
            .where(Customer.studio_id == self.studio_id, Customer.customer_id == customer_id)
            .values(link_epoch=Customer.link_epoch + 1)
        )
