from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from studio_comms.db.base import Base
from studio_comms.db.types import BigIntId, UtcDateTime


class Studio(Base):
    __tablename__ = "studios"
    # Never hand a deleted studio's id to a new one (SQLite reuses the highest id otherwise).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8))
    time_zone: Mapped[str] = mapped_column(String(64))
    # RECORD (default): store an OUTGOING communication the customer's preferences deny, with a
    # receipt saying so (a partner logging what it already sent must not lose the record).
    # REJECT: refuse it, storing nothing.
    consent_enforcement: Mapped[str] = mapped_column(String(16), server_default="RECORD")
    # Whether an operator chose the mode. One who never did follows the default, also when a
    # later release changes it (migration 0005 moved such studios from REJECT to RECORD).
    consent_enforcement_chosen: Mapped[bool] = mapped_column(Boolean, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StudioChannelSetting(Base):
    """A channel the studio offers for a message category, with its default and overridability."""

    __tablename__ = "studio_channel_settings"

    studio_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("studios.id", ondelete="CASCADE"), primary_key=True
    )
    message_category: Mapped[str] = mapped_column(String(32), primary_key=True)
    communication_channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean)
    customer_overridable: Mapped[bool] = mapped_column(Boolean)
