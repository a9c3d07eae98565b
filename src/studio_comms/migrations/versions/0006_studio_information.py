"""studio information for GET /v1/studios/information; activation confirmed per API key

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_STUDIO_COLUMNS: tuple[sa.Column[object], ...] = (
    sa.Column("description", sa.Text(), nullable=True),
    sa.Column("country", sa.String(length=200), nullable=True),
    sa.Column("country_code", sa.String(length=2), nullable=True),
    sa.Column("opening_date", sa.Date(), nullable=True),
    sa.Column("closing_date", sa.Date(), nullable=True),
    sa.Column("email", sa.String(length=320), nullable=True),
    sa.Column("logo_url", sa.String(length=2048), nullable=True),
    sa.Column("telephone", sa.String(length=64), nullable=True),
    sa.Column("website", sa.String(length=2048), nullable=True),
    sa.Column("street", sa.String(length=200), nullable=True),
    sa.Column("house_number", sa.String(length=32), nullable=True),
    sa.Column("zip", sa.String(length=16), nullable=True),
    sa.Column("city", sa.String(length=200), nullable=True),
    sa.Column("latitude", sa.Double(), nullable=True),
    sa.Column("longitude", sa.Double(), nullable=True),
    sa.Column("access_code_enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column("opening_hours", sa.JSON(), nullable=True),
    sa.Column("public_opening_hours", sa.JSON(), nullable=True),
    sa.Column("closing_hours", sa.JSON(), nullable=True),
    sa.Column("tags", sa.JSON(), nullable=True),
)


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch: on SQLite a batch may rebuild the table (and a rebuild must
    # be told to keep AUTOINCREMENT); adding nullable or defaulted columns never needs one.
    for column in _STUDIO_COLUMNS:
        op.add_column("studios", column)
    op.add_column("api_keys", sa.Column("activation_confirmed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Dropping a column rebuilds the table on SQLite; it must keep AUTOINCREMENT.
    keep = {"sqlite_autoincrement": True}
    with op.batch_alter_table("api_keys", schema=None, table_kwargs=keep) as batch_op:
        batch_op.drop_column("activation_confirmed_at")
    with op.batch_alter_table("studios", schema=None, table_kwargs=keep) as batch_op:
        for column in reversed(_STUDIO_COLUMNS):
            batch_op.drop_column(column.name)
