from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from studio_comms.db.base import Base
from studio_comms.db.types import BigIntId, UtcDateTime


class CustomerChannelChoice(Base):
    """The customer's own choice for one (category, channel); absent means "studio default"."""

    __tablename__ = "customer_channel_choices"
    __table_args__ = (
        ForeignKeyConstraint(
            ["studio_id", "customer_id"],
            ["customers.studio_id", "customers.customer_id"],
            ondelete="CASCADE",
        ),
    )

    studio_id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_category: Mapped[str] = mapped_column(String(32), primary_key=True)
    communication_channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean)
    # The ledger entry that recorded this choice: the proof behind a CUSTOMER_CHOICE decision.
    ledger_entry_id: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ConsentLedgerEntry(Base):
    """One effective change of one (category, channel). Appended, never updated or deleted."""

    __tablename__ = "consent_ledger"
    __table_args__ = (
        ForeignKeyConstraint(["studio_id", "customer_id"], ["customers.studio_id", "customers.customer_id"]),
        Index("ix_consent_ledger_customer_newest", "studio_id", "customer_id", "id"),
        # History slices page by id: ids must only ever grow.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    studio_id: Mapped[int] = mapped_column(BigIntId)
    customer_id: Mapped[int] = mapped_column(BigInteger)
    message_category: Mapped[str] = mapped_column(String(32))
    communication_channel: Mapped[str] = mapped_column(String(32))
    previous_active: Mapped[bool] = mapped_column(Boolean)
    active: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    request_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    ip_address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(512), nullable=True)
    # Preference center and unsubscribe links: the version of the texts the member confirmed.
    text_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # What the change rests on, in words: the words of an SMS reply that revoked (migration 0010).
    details: Mapped[str | None] = mapped_column(String(500), nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Suppression(Base):
    """A hard block of one channel for one customer (erasure, hard bounce, SMS STOP, operator)."""

    __tablename__ = "suppressions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["studio_id", "customer_id"],
            ["customers.studio_id", "customers.customer_id"],
            ondelete="CASCADE",
        ),
    )

    studio_id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    communication_channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StudioChannelSetting(Base):
    """The studio's offer: a channel offered for a message category, its default and overridability."""

    __tablename__ = "studio_channel_settings"

    studio_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("studios.id", ondelete="CASCADE"), primary_key=True
    )
    message_category: Mapped[str] = mapped_column(String(32), primary_key=True)
    communication_channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean)
    customer_overridable: Mapped[bool] = mapped_column(Boolean)
