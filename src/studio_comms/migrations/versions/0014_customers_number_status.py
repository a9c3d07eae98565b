"""Customers: the studio's customer number and the member status (official ``Customer``)

Revision ID: 0014_customers_number_status
Revises: 0013_sending_sms_reports_once
Create Date: 2026-12-08

Customers stored before have no customer number and are members (``MEMBER``, the official list's
default filter), until the operator says otherwise.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_customers_number_status"
down_revision = "0013_sending_sms_reports_once"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch: SQLite adds a unique constraint only by rebuilding the table.
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("customer_number", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("status", sa.String(length=16), server_default="MEMBER", nullable=False))
        batch.create_unique_constraint(
            "uq_customers_studio_id_customer_number", ["studio_id", "customer_number"]
        )
    op.create_index("ix_customers_status_order", "customers", ["studio_id", "status", "customer_id"])


def downgrade() -> None:
    op.drop_index("ix_customers_status_order", table_name="customers")
    with op.batch_alter_table("customers") as batch:
        batch.drop_constraint("uq_customers_studio_id_customer_number", type_="unique")
        batch.drop_column("status")
        batch.drop_column("customer_number")
