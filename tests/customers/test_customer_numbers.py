"""A customer number names one customer of a studio: the database holds it too, so two writers
racing past the service's check cannot both store it."""

from __future__ import annotations

import pytest

from studio_comms.customers.repository import CustomerDetails, CustomersRepository
from studio_comms.db.database import Database
from studio_comms.db.errors import ConstraintViolation
from tests.conftest import FixedClock
from tests.factories import World


def details(number: str | None) -> CustomerDetails:
    return CustomerDetails("Erika", "M", None, None, None, customer_number=number, status="MEMBER")


def test_the_database_refuses_a_customer_number_twice_in_a_studio(
    db: Database, world: World, clock: FixedClock
) -> None:
    with db.transaction() as tx:
        CustomersRepository(tx, world.studio_a).insert(10, details("1-1"), now=clock.now)
    with pytest.raises(ConstraintViolation), db.transaction() as tx:
        CustomersRepository(tx, world.studio_a).insert(11, details("1-1"), now=clock.now)
    with db.transaction() as tx:
        # Customers without a number never collide; another studio may use the same number.
        CustomersRepository(tx, world.studio_a).insert(12, details(None), now=clock.now)
        CustomersRepository(tx, world.studio_a).insert(13, details(None), now=clock.now)
        CustomersRepository(tx, world.studio_b).insert(10, details("1-1"), now=clock.now)
        assert CustomersRepository(tx, world.studio_a).get(11) is None
