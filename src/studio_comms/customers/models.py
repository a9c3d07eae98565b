from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from studio_comms.db.base import Base
from studio_comms.db.types import BigIntId, UtcDateTime


class Customer(Base):
    """A studio's member. ``customer_id`` is the studio's own number, unique within the studio.

    The composite key (studio_id, customer_id) is carried by every customer-owned row, so a row of
    one studio can never point at another studio's customer.
    """

    __tablename__ = "customers"
    __table_args__ = (
        # A studio's customer numbers are its own (NULLs, customers without one, never collide).
        UniqueConstraint("studio_id", "customer_number"),
        # The official list (getCustomers) pages one status at a time, by id.
        Index("ix_customers_status_order", "studio_id", "status", "customer_id"),
    )

    studio_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("studios.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(String(200))
    last_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    phone_number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    # The official Customer's customerNumber ("1-12345"), as the studio's own system writes it.
    customer_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The official Customer's status: MEMBER, PROSPECT or FORMER_MEMBER (customers.schemas).
    status: Mapped[str] = mapped_column(String(16), default="MEMBER", server_default="MEMBER")
    # Signed member links (preference center, unsubscribe) carry this number; raising it revokes
    # every link issued before (erasure does).
    link_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
