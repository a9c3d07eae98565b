"""Mail feedback that named no message of ours: kept for the operator

Revision ID: 0012_bounces_unattributed
Revises: 0011_revocation_sms_replies
Create Date: 2026-12-07

A bounce or complaint acts only when it names a message studio-comms sent and that message's
recipient; anything else is a row here (``GET /admin/v1/mail-feedback/unattributed``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_bounces_unattributed"
down_revision = "0011_revocation_sms_replies"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "unattributed_feedback",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("why", sa.String(length=32), nullable=False),
        sa.Column("claimed_studio_id", sa.BigInteger(), nullable=True),
        sa.Column("claimed_message_id", sa.BigInteger(), nullable=True),
        sa.Column("original_message_id", sa.String(length=255), nullable=True),
        sa.Column("reporter", sa.String(length=255), nullable=True),
        sa.Column("addresses", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unattributed_feedback")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_unattributed_feedback_received", "unattributed_feedback", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_unattributed_feedback_received", table_name="unattributed_feedback")
    op.drop_table("unattributed_feedback")
