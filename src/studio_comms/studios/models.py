from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
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
    # REJECT: refuse an OUTGOING communication the customer's preferences deny.
    # RECORD: store it with a receipt saying so (for logging calls that already happened).
    consent_enforcement: Mapped[str] = mapped_column(String(16), server_default="REJECT")
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
