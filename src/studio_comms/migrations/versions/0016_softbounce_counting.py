"""Soft bounces counted per member, and each studio's soft-bounce limit

Revision ID: 0016_softbounce_counting
Revises: 0015_mailevents_provider_events
Create Date: 2026-12-08

A full mailbox, an expired or transient failure at the recipient is one row of
``message_soft_bounces`` (one per message and member); N of them within D days
(``message_bounce_settings``, default 3 in 15) suppress EMAIL with ``SOFT_BOUNCED``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_softbounce_counting"
down_revision = "0015_mailevents_provider_events"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "message_soft_bounces",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("studio_id", _ID, nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consumed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["studio_id"],
            ["studios.id"],
            name=op.f("fk_message_soft_bounces_studio_id_studios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_soft_bounces")),
        sa.UniqueConstraint("studio_id", "message_id", "customer_id", name="uq_message_soft_bounces_message"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_message_soft_bounces_member", "message_soft_bounces", ["studio_id", "customer_id", "occurred_at"]
    )
    op.create_table(
        "message_bounce_settings",
        sa.Column("studio_id", _ID, nullable=False),
        sa.Column("soft_bounce_limit", sa.Integer(), nullable=False),
        sa.Column("soft_bounce_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["studio_id"],
            ["studios.id"],
            name=op.f("fk_message_bounce_settings_studio_id_studios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("studio_id", name=op.f("pk_message_bounce_settings")),
    )


def downgrade() -> None:
    op.drop_table("message_bounce_settings")
    op.drop_index("ix_message_soft_bounces_member", table_name="message_soft_bounces")
    op.drop_table("message_soft_bounces")
