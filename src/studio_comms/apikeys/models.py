from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from studio_comms.db.base import Base
from studio_comms.db.types import BigIntId, UtcDateTime


class ApiKey(Base):
    """A studio's API key. Only the SHA-256 digest is kept; revoked keys stay for the audit trail."""

    __tablename__ = "api_keys"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    studio_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("studios.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_digest: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # When the integration behind the key first called POST /v1/studios/confirmActivation.
    activation_confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
