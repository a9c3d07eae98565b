from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from studio_comms.db.base import Base
from studio_comms.db.types import BigIntId, UtcDateTime


class SmsProviderCredentials(Base):
    """A studio's account at the SMS provider.

    The auth token is stored sealed (``core.secrets``), as webhook secrets are: every send
    authenticates with it and every callback's signature is checked with it, so it is opened with
    the key from the environment on use. The API never returns it and nothing logs it.
    """

    __tablename__ = "sms_provider_credentials"

    studio_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("studios.id", ondelete="CASCADE"), primary_key=True
    )
    provider: Mapped[str] = mapped_column(String(16))
    account_sid: Mapped[str] = mapped_column(String(64))
    # Sealed: "enc1:" + a Fernet token of the token (about 1.4 x its length + 80 characters).
    auth_token: Mapped[str] = mapped_column(String(512))
    # The sender: an E.164 number of the account, or a Messaging Service SID (MG…).
    sender: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SmsStatusReport(Base):
    """A verified status callback as the provider sent it: the delivery record behind a status."""

    __tablename__ = "sms_status_reports"
    __table_args__ = (
        Index("ix_sms_status_reports_message", "studio_id", "provider_message_id", "id"),
        # Each status of a message once: a replayed or retried callback adds nothing.
        Index(
            "ux_sms_status_reports_once", "studio_id", "provider_message_id", "provider_status", unique=True
        ),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    studio_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("studios.id", ondelete="CASCADE"))
    provider_message_id: Mapped[str] = mapped_column(String(64))
    provider_status: Mapped[str] = mapped_column(String(32))
    # SENT, DELIVERED or FAILED; None for the provider's steps before (queued, sending …).
    status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SmsReply(Base):
    """A member's reply that names a keyword word without clearly asking for anything ("I'll stop
    by tomorrow"): nothing was applied; an operator applies it as a revocation or dismisses it.

    Holds the member's text and number (personal data: erasure and retention must include it).
    """

    __tablename__ = "sms_replies"
    __table_args__ = (
        Index("ix_sms_replies_state", "studio_id", "state", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    studio_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("studios.id", ondelete="CASCADE"))
    provider_message_id: Mapped[str] = mapped_column(String(64))
    # E.164, and the studio's customers with that number when it came (a family may share one).
    sender: Mapped[str] = mapped_column(String(32))
    customer_ids: Mapped[list[int]] = mapped_column(JSON)
    body: Mapped[str] = mapped_column(Text)
    # The keyword words it names ("stop", "cancel"), as ``sms.words`` found them.
    words: Mapped[str] = mapped_column(String(200))
    # PENDING, APPLIED or DISMISSED.
    state: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
