"""preference center: link epoch per customer, text version on the consent ledger

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_epoch", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("consent_ledger", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text_version", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consent_ledger", schema=None) as batch_op:
        batch_op.drop_column("text_version")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("link_epoch")
