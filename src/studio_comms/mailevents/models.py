"""A studio's mail relay credential and the provider events already received (each acts once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from studio_comms.db.base import Base
from studio_comms.db.types import BigIntId, UtcDateTime


class MailProviderCredentials(Base):
    """The relay a studio sends through and what proves its webhooks are the relay's.

    ``secret`` is sealed (``core.secrets``): Postmark's basic-auth password, Mailgun's HTTP webhook
    signing key, SendGrid's verification key (public, but kept like the others: write-only).
    """

    __tablename__ = "mail_provider_credentials"

    studio_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("studios.id", ondelete="CASCADE"), primary_key=True
    )
    provider: Mapped[str] = mapped_column(String(16))
    # Postmark's basic-auth user name; None for the others.
    username: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # Sealed: "enc1:" + a Fernet token (about 1.4 x the secret's length + 80 characters).
    secret: Mapped[str] = mapped_column(String(1024))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MailProviderEvent(Base):
    """An event (or a Mailgun signing token) already received: a repeat acts no more."""

    __tablename__ = "mail_provider_events"
    __table_args__ = (
        UniqueConstraint("studio_id", "provider", "event_id", name="uq_mail_provider_events_event"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    studio_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("studios.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(255))
    # HARD_BOUNCE, SOFT_BOUNCE, COMPLAINT, DELIVERED, UNSUBSCRIBE, OTHER, TOKEN (a Mailgun token).
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Our message's number when the event was attributed to it.
    message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # ACTED, UNATTRIBUTED (changed nothing) or IGNORED (nothing to do).
    outcome: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
