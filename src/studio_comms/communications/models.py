from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from studio_comms.db.base import Base
from studio_comms.db.types import BigIntId, UtcDateTime


class CommunicationThread(Base):
    __tablename__ = "communication_threads"
    __table_args__ = (
        ForeignKeyConstraint(["studio_id", "customer_id"], ["customers.studio_id", "customers.customer_id"]),
        Index("ix_communication_threads_customer_newest", "studio_id", "customer_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    studio_id: Mapped[int] = mapped_column(BigIntId)
    customer_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    # The subject of the first communication: the thread's title in a timeline.
    subject: Mapped[str] = mapped_column(String(255))
    # The category named by the first communication, if it named one.
    message_category: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Communication(Base):
    """One message of a thread, with the authorization receipt of an OUTGOING one."""

    __tablename__ = "communications"
    __table_args__ = (
        Index("ix_communications_thread_order", "thread_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    thread_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("communication_threads.id", ondelete="CASCADE")
    )
    studio_id: Mapped[int] = mapped_column(BigIntId)
    customer_id: Mapped[int] = mapped_column(BigInteger)
    thread_status: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(32))
    message_category: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)
    ticket_number: Mapped[str | None] = mapped_column(String(255), nullable=True)
    ticket_link: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    agent: Mapped[str | None] = mapped_column(String(255), nullable=True)
    communicated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    request_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # Authorization receipt (OUTGOING only): the decision, its rule, the ledger entry behind it.
    authorization_permitted: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    authorization_rule: Mapped[str | None] = mapped_column(String(32), nullable=True)
    authorization_ledger_entry_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    authorization_block_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    authorization_enforcement: Mapped[str | None] = mapped_column(String(16), nullable=True)
    authorized_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class CommunicationDeliveryEvent(Base):
    """A delivery status of a communication studio-comms sent itself (its thread's timeline)."""

    __tablename__ = "communication_delivery_events"
    __table_args__ = (
        Index("ix_communication_delivery_events_thread", "studio_id", "thread_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    studio_id: Mapped[int] = mapped_column(BigIntId)
    thread_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("communication_threads.id", ondelete="CASCADE")
    )
    communication_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("communications.id", ondelete="CASCADE")
    )
    message_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
