"""Messages studio-comms sends itself: one row per message, its status history, bulk batches,
and each studio's delivery settings (sender address, quiet hours)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from studio_comms.db.base import Base
from studio_comms.db.types import BigIntId, UtcDateTime


class MessageBatch(Base):
    """One bulk request: what was asked, how many were accepted and refused."""

    __tablename__ = "message_batches"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    studio_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("studios.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str | None] = mapped_column(String(255), nullable=True)
    content: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text, nullable=True)
    accepted: Mapped[int] = mapped_column(Integer)
    refused: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Message(Base):
    """A message to one customer on one channel, from acceptance to its last known status."""

    __tablename__ = "messages"
    __table_args__ = (
        ForeignKeyConstraint(
            ["studio_id", "customer_id"],
            ["customers.studio_id", "customers.customer_id"],
            ondelete="CASCADE",
        ),
        Index("ix_messages_batch", "studio_id", "batch_id"),
        Index("ix_messages_provider_id", "studio_id", "provider_message_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    studio_id: Mapped[int] = mapped_column(BigIntId)
    customer_id: Mapped[int] = mapped_column(BigInteger)
    batch_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The OUTGOING communication recording it (a bulk message gets it when the worker takes it up).
    thread_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    communication_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    channel: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str | None] = mapped_column(String(255), nullable=True)
    content: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Decided at acceptance: marketing e-mail carries the one-click unsubscribe headers (RFC 8058).
    marketing: Mapped[bool] = mapped_column(Boolean, server_default=false())
    status: Mapped[str] = mapped_column(String(16))
    # Why it is FAILED or SUPPRESSED (the refusing rule, the transport's error).
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    send_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider_message_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # The e-mail's Message-ID: the same on every attempt, so duplicates are recognisable.
    message_id_header: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MessageStatusChange(Base):
    """Every status a message went through, with the decision behind a SUPPRESSED one."""

    __tablename__ = "message_status_changes"
    __table_args__ = (
        Index("ix_message_status_changes_message", "studio_id", "message_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    studio_id: Mapped[int] = mapped_column(BigIntId)
    message_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("messages.id", ondelete="CASCADE"))
    previous_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The receipt of the decision taken at this change (accept, re-check at send).
    decision_rule: Mapped[str | None] = mapped_column(String(32), nullable=True)
    ledger_entry_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    block_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MessageSettings(Base):
    """A studio's delivery settings; no row: the defaults (settings' sender, default quiet hours)."""

    __tablename__ = "message_settings"

    studio_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("studios.id", ondelete="CASCADE"), primary_key=True
    )
    email_from: Mapped[str | None] = mapped_column(String(320), nullable=True)
    # {category: [start "HH:MM", end "HH:MM"]} as the operator set them; NULL: the defaults.
    quiet_hours: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Whether a GENERAL send that does not say ``marketing`` is marketing.
    general_is_marketing: Mapped[bool] = mapped_column(Boolean, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MessageSoftBounce(Base):
    """A soft bounce of a member's address (``core.mailstatus.SOFT_BOUNCE``: full mailbox, expired,
    transient), from a returned message or an SMTP answer at send time: one per message and member,
    whichever path told it first. ``consumed``: counted into a SOFT_BOUNCED suppression already (after
    a lift, counting starts again from zero)."""

    __tablename__ = "message_soft_bounces"
    __table_args__ = (
        UniqueConstraint("studio_id", "message_id", "customer_id", name="uq_message_soft_bounces_message"),
        Index("ix_message_soft_bounces_member", "studio_id", "customer_id", "occurred_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    studio_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("studios.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    consumed: Mapped[bool] = mapped_column(Boolean, server_default=false())


class MessageBounceSettings(Base):
    """A studio's soft-bounce limit: ``soft_bounce_limit`` soft bounces within ``soft_bounce_days``
    days suppress a member's EMAIL; no row: the defaults (3 in 15)."""

    __tablename__ = "message_bounce_settings"

    studio_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("studios.id", ondelete="CASCADE"), primary_key=True
    )
    soft_bounce_limit: Mapped[int] = mapped_column(Integer)
    soft_bounce_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
