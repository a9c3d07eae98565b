"""SMS provider accounts per studio and the status reports of their callbacks

Revision ID: 0008_sms_bounces
Revises: 0007_messages
Create Date: 2026-11-30

Bounces and complaints need no table of their own: they become suppressions (reasons BOUNCED,
COMPLAINED: plain strings in ``suppressions.reason``) and consent ledger entries.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_sms_bounces"
# After the messages tables (merged in that order).
down_revision = "0007_messages"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sms_provider_credentials",
        sa.Column("studio_id", _ID, nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("account_sid", sa.String(length=64), nullable=False),
        sa.Column("auth_token", sa.String(length=128), nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["studio_id"],
            ["studios.id"],
            name=op.f("fk_sms_provider_credentials_studio_id_studios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("studio_id", name=op.f("pk_sms_provider_credentials")),
    )
    op.create_table(
        "sms_status_reports",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("studio_id", _ID, nullable=False),
        sa.Column("provider_message_id", sa.String(length=64), nullable=False),
        sa.Column("provider_status", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("error_code", sa.String(length=16), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["studio_id"],
            ["studios.id"],
            name=op.f("fk_sms_status_reports_studio_id_studios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_status_reports")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_sms_status_reports_message",
        "sms_status_reports",
        ["studio_id", "provider_message_id", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_sms_status_reports_message", table_name="sms_status_reports")
    op.drop_table("sms_status_reports")
    op.drop_table("sms_provider_credentials")
