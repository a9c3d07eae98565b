"""Reports that named no message of ours with its recipient: kept for the operator, acted on never."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from studio_comms.db.base import Base
from studio_comms.db.types import BigIntId, UtcDateTime


class UnattributedFeedback(Base):
    """A bounce or complaint that changed nothing because it could not be tied to a message we sent
    to that address (forged, for another sender, redacted, or for a message long gone).

    No studio owns these rows: the studio and message a report *names* are what it claims, not
    facts (the studio may not exist), so they are kept as claimed and only operators list them.
    """

    __tablename__ = "unattributed_feedback"
    __table_args__ = (
        Index("ix_unattributed_feedback_received", "received_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # HARD_BOUNCE, SOFT_BOUNCE, COMPLAINT, OTHER_FEEDBACK: what the report says.
    kind: Mapped[str] = mapped_column(String(32))
    # Why it acted on nothing (bounces.attribution.Why).
    why: Mapped[str] = mapped_column(String(32))
    claimed_studio_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    claimed_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    original_message_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    reporter: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # The addresses the report names, one per line (at most a few hundred characters).
    addresses: Mapped[str] = mapped_column(Text)
