from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Double, String, Text, false
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
    # Studio information (GET /v1/studios/information), as the operator set it.
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    country: Mapped[str | None] = mapped_column(String(200), nullable=True)
    country_code: Mapped[str | None] = mapped_column(String(2), nullable=True)
    opening_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    closing_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    logo_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    telephone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    website: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    street: Mapped[str | None] = mapped_column(String(200), nullable=True)
    house_number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    zip: Mapped[str | None] = mapped_column(String(16), nullable=True)
    city: Mapped[str | None] = mapped_column(String(200), nullable=True)
    latitude: Mapped[float | None] = mapped_column(Double, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Double, nullable=True)
    access_code_enabled: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # Lists of the official nested shapes (StudioOpeningHours, StudioClosingHours, Tag), stored as
    # the wire writes them: nothing queries inside them.
    opening_hours: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    public_opening_hours: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    closing_hours: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    tags: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
