"""Revocation by any reasonable means: the words behind a ledger entry, replies for an operator

Revision ID: 0011_revocation_sms_replies
Revises: 0010_marketing_flag
Create Date: 2026-12-07

``consent_ledger.details`` names what a change rests on (the words of an SMS reply that revoked);
``sms_replies`` lists the replies that name a keyword word without clearly asking for anything,
until an operator applies or dismisses them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_revocation_sms_replies"
down_revision = "0010_marketing_flag"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Plain ADD COLUMN (nullable): no table rebuild on SQLite.
    op.add_column("consent_ledger", sa.Column("details", sa.String(length=500), nullable=True))
    op.create_table(
        "sms_replies",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("studio_id", _ID, nullable=False),
        sa.Column("provider_message_id", sa.String(length=64), nullable=False),
        sa.Column("sender", sa.String(length=32), nullable=False),
        sa.Column("customer_ids", sa.JSON(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("words", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["studio_id"],
            ["studios.id"],
            name=op.f("fk_sms_replies_studio_id_studios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_replies")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_sms_replies_state", "sms_replies", ["studio_id", "state", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sms_replies_state", table_name="sms_replies")
    op.drop_table("sms_replies")
    # Dropping a column rebuilds the table on SQLite; it must keep AUTOINCREMENT.
    with op.batch_alter_table(
        "consent_ledger", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.drop_column("details")
