"""A studio's customers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from studio_comms.db.scoped import StudioScoped
from studio_comms.db.sql import Sql


@dataclass(slots=True)
class CustomerRow:
    customer_id: int
    first_name: str
    last_name: str
    email: str | None
    phone_number: str | None
    language: str | None
    # Signed member links carry this number; raising it revokes every link issued before.
    link_epoch: int
    customer_number: str | None
    status: str


_COLUMNS = (
    "customer_id, first_name, last_name, email, phone_number, language, link_epoch, customer_number, status"
)
_GET = Sql(
    f"SELECT {_COLUMNS} FROM customers WHERE studio_id = :studio_id AND customer_id = :customer_id",
    row=CustomerRow,
)
_ALL = Sql(
    f"SELECT {_COLUMNS} FROM customers WHERE studio_id = :studio_id ORDER BY customer_id", row=CustomerRow
)
_BY_NUMBER = Sql(
    f"SELECT {_COLUMNS} FROM customers WHERE studio_id = :studio_id AND customer_number = :customer_number",
    row=CustomerRow,
)
# One official slice of one status, by id (ix_customers_status_order).
_SLICE = Sql(
    f"""
    SELECT {_COLUMNS} FROM customers
    WHERE studio_id = :studio_id AND status = :status AND customer_id > :after
    ORDER BY customer_id LIMIT :limit
    """,
    row=CustomerRow,
)
_BY_EMAIL = Sql(
    f"""
    SELECT {_COLUMNS} FROM customers
    WHERE studio_id = :studio_id AND lower(email) = :email ORDER BY customer_id
    """,
    row=CustomerRow,
)
_EXISTS = Sql("SELECT 1 FROM customers WHERE studio_id = :studio_id AND customer_id = :customer_id")
# PostgreSQL: concurrent writers of one customer's data (preferences, blocks, links) queue on this
# row. SQLite write transactions hold the database's write lock already (BEGIN IMMEDIATE).
_LOCK = Sql("SELECT 1 FROM customers WHERE studio_id = :studio_id AND customer_id = :customer_id FOR UPDATE")
_INSERT = Sql(
    """
    INSERT INTO customers
      (studio_id, customer_id, first_name, last_name, email, phone_number, language, link_epoch,
       customer_number, status, created_at, updated_at)
    VALUES (:studio_id, :customer_id, :first_name, :last_name, :email, :phone_number, :language, 0,
       :customer_number, :status, :now, :now)
    """
)
_UPDATE = Sql(
    """
    UPDATE customers SET first_name = :first_name, last_name = :last_name, email = :email,
      phone_number = :phone_number, language = :language, customer_number = :customer_number,
      status = :status, updated_at = :now
    WHERE studio_id = :studio_id AND customer_id = :customer_id
    """
)


@dataclass(slots=True)
class _CustomerId:
    customer_id: int


# Numbers are stored in E.164 (customers.service), so a provider's sender compares as text.
_WITH_PHONE = Sql(
    """
    SELECT customer_id FROM customers
    WHERE studio_id = :studio_id AND phone_number = :phone ORDER BY customer_id
    """,
    row=_CustomerId,
)
# Addresses are stored as given; mail systems hand back the same address in any case. Rare
# (bounces, complaints): a scan of the studio's rows is fine.
_WITH_EMAIL = Sql(
    """
    SELECT customer_id FROM customers
    WHERE studio_id = :studio_id AND lower(email) = :email ORDER BY customer_id
    """,
    row=_CustomerId,
)
_REVOKE_LINKS = Sql(
    """
    UPDATE customers SET link_epoch = link_epoch + 1
    WHERE studio_id = :studio_id AND customer_id = :customer_id
    """
)


@dataclass(frozen=True, slots=True)
class CustomerDetails:
    first_name: str
    last_name: str
    email: str | None
    phone_number: str | None
    language: str | None
    customer_number: str | None
    status: str


class CustomersRepository(StudioScoped):
    def get(self, customer_id: int) -> CustomerRow | None:
        return self._row(_GET, customer_id=customer_id)

    def all(self) -> list[CustomerRow]:
        return self._rows(_ALL)

    def with_number(self, customer_number: str) -> CustomerRow | None:
        return self._row(_BY_NUMBER, customer_number=customer_number)

    def slice(self, status: str, *, after: int, limit: int) -> list[CustomerRow]:
        return self._rows(_SLICE, status=status, after=after, limit=limit)

    def rows_with_email(self, address: str) -> list[CustomerRow]:
        return self._rows(_BY_EMAIL, email=address.lower())

    def exists(self, customer_id: int, *, lock: bool = False) -> bool:
        return self._scalar(_LOCK if lock else _EXISTS, customer_id=customer_id) is not None

    def insert(self, customer_id: int, details: CustomerDetails, *, now: datetime) -> None:
        self._run(_INSERT, customer_id=customer_id, now=now, **_fields(details))

    def update(self, customer_id: int, details: CustomerDetails, *, now: datetime) -> None:
        self._run(_UPDATE, customer_id=customer_id, now=now, **_fields(details))

    def with_phone(self, e164: str) -> list[int]:
        return [row.customer_id for row in self._rows(_WITH_PHONE, phone=e164)]

    def with_email(self, address: str) -> list[int]:
        return [row.customer_id for row in self._rows(_WITH_EMAIL, email=address.lower())]

    def revoke_links(self, customer_id: int) -> None:
        self._run(_REVOKE_LINKS, customer_id=customer_id)


def _fields(details: CustomerDetails) -> dict[str, str | None]:
    return {
        "first_name": details.first_name,
        "last_name": details.last_name,
        "email": details.email,
        "phone_number": details.phone_number,
        "language": details.language,
        "customer_number": details.customer_number,
        "status": details.status,
    }
