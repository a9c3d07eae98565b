"""marketing flag: each message says whether it is marketing; a studio says whether GENERAL is

Revision ID: 0010_marketing_flag
Revises: 0009_inputs_sealed_secrets
Create Date: 2026-12-08

``messages.marketing`` is decided when a send is accepted and read by the worker, which puts the
one-click unsubscribe headers (RFC 8058) on marketing e-mail. Messages stored before were marketing
exactly when they were NEWSLETTER or LOYALTY_PROGRAM (the headers went on those), so they keep
that. ``message_settings.general_is_marketing``: GENERAL sends that do not say are marketing unless
the studio says otherwise (default on).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_marketing_flag"
down_revision = "0009_inputs_sealed_secrets"
branch_labels = None
depends_on = None

_messages = sa.table("messages", sa.column("category", sa.String), sa.column("marketing", sa.Boolean))


def upgrade() -> None:
    # A plain ADD COLUMN on both databases (no table copy on SQLite): NOT NULL with a default.
    op.add_column("messages", sa.Column("marketing", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(
        _messages.update()
        .where(_messages.c.category.in_(["NEWSLETTER", "LOYALTY_PROGRAM"]))
        .values(marketing=True)
    )
    op.add_column(
        "message_settings",
        sa.Column("general_is_marketing", sa.Boolean(), server_default=sa.true(), nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("message_settings") as batch:
        batch.drop_column("general_is_marketing")
    with op.batch_alter_table("messages", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("marketing")
