"""record by default: consent enforcement RECORD for studios that never chose a mode

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_studios = sa.table(
    "studios",
    sa.column("consent_enforcement", sa.String),
    sa.column("consent_enforcement_chosen", sa.Boolean),
)


# SQLite: the batch recreates the table; it must keep AUTOINCREMENT (ids are never reused).
_KEEP = {"sqlite_autoincrement": True}


def upgrade() -> None:
    with op.batch_alter_table("studios", schema=None, table_kwargs=_KEEP) as batch_op:
        batch_op.add_column(
            sa.Column("consent_enforcement_chosen", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.alter_column(
            "consent_enforcement",
            existing_type=sa.String(length=16),
            existing_nullable=False,
            server_default="RECORD",
        )
    # Until now the default was REJECT, so RECORD was always an operator's choice. REJECT may have
    # been the default or a choice; nothing recorded which, so it takes the new default.
    op.execute(
        _studios.update()
        .where(_studios.c.consent_enforcement == "RECORD")
        .values(consent_enforcement_chosen=True)
    )
    op.execute(
        _studios.update()
        .where(_studios.c.consent_enforcement_chosen == sa.false())
        .values(consent_enforcement="RECORD")
    )


def downgrade() -> None:
    op.execute(
        _studios.update()
        .where(_studios.c.consent_enforcement_chosen == sa.false())
        .values(consent_enforcement="REJECT")
    )
    with op.batch_alter_table("studios", schema=None, table_kwargs=_KEEP) as batch_op:
        batch_op.alter_column(
            "consent_enforcement",
            existing_type=sa.String(length=16),
            existing_nullable=False,
            server_default="REJECT",
        )
        batch_op.drop_column("consent_enforcement_chosen")
