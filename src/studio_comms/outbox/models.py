from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from studio_comms.db.base import Base
from studio_comms.db.types import BigIntId, UtcDateTime


class OutboxItem(Base):
    """A side effect to carry out after its transaction committed (ARCHITECTURE.md, "The worker path").

    Written in the same transaction as the change that caused it, so a committed change always
    has its items and a rolled-back one has none. Workers (``outbox.worker``) claim pending items.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "completed_at", "available_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    studio_id: Mapped[int] = mapped_column(BigIntId, index=True)
    event_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    event_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    available_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The worker holding the lease: only it may record the outcome (a late finisher whose lease
    # expired and was taken over must not overwrite the new holder's result).
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Set when the item is finished, successfully or not; ``dead_at`` too when it gave up.
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    dead_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
