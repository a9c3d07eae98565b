from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
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
