"""threads, communications, outbox, consent enforcement

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "outbox",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("studio_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_uuid", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_uuid", name=op.f("uq_outbox_event_uuid")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_pending", ["completed_at", "available_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_studio_id"), ["studio_id"], unique=False)

    op.create_table(
        "communication_threads",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("studio_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("message_category", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["studio_id", "customer_id"],
            ["customers.studio_id", "customers.customer_id"],
            name=op.f("fk_communication_threads_studio_id_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communication_threads")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("communication_threads", schema=None) as batch_op:
        batch_op.create_index(
            "ix_communication_threads_customer_newest", ["studio_id", "customer_id", "id"], unique=False
        )

    op.create_table(
        "communications",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("thread_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("studio_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_status", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("message_category", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("ticket_number", sa.String(length=255), nullable=True),
        sa.Column("ticket_link", sa.String(length=2048), nullable=True),
        sa.Column("agent", sa.String(length=255), nullable=True),
        sa.Column("communicated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=255), nullable=True),
        sa.Column("authorization_permitted", sa.Boolean(), nullable=True),
        sa.Column("authorization_rule", sa.String(length=32), nullable=True),
        sa.Column("authorization_ledger_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("authorization_block_reason", sa.String(length=32), nullable=True),
        sa.Column("authorization_enforcement", sa.String(length=16), nullable=True),
        sa.Column("authorized_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["communication_threads.id"],
            name=op.f("fk_communications_thread_id_communication_threads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communications")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("communications", schema=None) as batch_op:
        batch_op.create_index("ix_communications_thread_order", ["thread_id", "id"], unique=False)

    with op.batch_alter_table("studios", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("consent_enforcement", sa.String(length=16), server_default="REJECT", nullable=False)
        )


def downgrade() -> None:

    with op.batch_alter_table("studios", schema=None) as batch_op:
        batch_op.drop_column("consent_enforcement")

    with op.batch_alter_table("communications", schema=None) as batch_op:
        batch_op.drop_index("ix_communications_thread_order")

    op.drop_table("communications")
    with op.batch_alter_table("communication_threads", schema=None) as batch_op:
        batch_op.drop_index("ix_communication_threads_customer_newest")

    op.drop_table("communication_threads")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_studio_id"))
        batch_op.drop_index("ix_outbox_pending")

    op.drop_table("outbox")
