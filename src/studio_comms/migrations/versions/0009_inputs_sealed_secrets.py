"""Secrets sealed at rest: SMS auth tokens and webhook credentials

Revision ID: 0009_inputs_sealed_secrets
Revises: 0008_sms_bounces
Create Date: 2026-12-07

The columns widen to hold "enc1:" + a Fernet token, and every row stored in clear before is
sealed here with the key the service uses (``STUDIO_COMMS_SECRET_KEY``, else ``VAR_DIR/secret-key``,
generated if missing). A database without such rows never needs the key. Downgrading opens them
again (with the same key) and narrows the columns.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from studio_comms.core import secrets

revision = "0009_inputs_sealed_secrets"
down_revision = "0008_sms_bounces"
branch_labels = None
depends_on = None

# (table, key column, secret columns)
_SECRETS = (
    ("sms_provider_credentials", "studio_id", ("auth_token",)),
    ("webhook_subscriptions", "id", ("api_key", "signing_secret")),
)


def _resize(length: int, before: int) -> None:
    for table, _key, columns in _SECRETS:
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(
                    column,
                    existing_type=sa.String(length=before),
                    type_=sa.String(length=length),
                    existing_nullable=False,
                )


def _convert(change: Callable[[str], str], wanted: Callable[[str], bool]) -> None:
    connection = op.get_bind()
    for table, key, columns in _SECRETS:
        listed = ", ".join(columns)
        rows = connection.execute(sa.text(f"SELECT {key}, {listed} FROM {table}")).mappings().all()  # noqa: S608
        for row in rows:
            values = {column: row[column] for column in columns}
            if not any(wanted(value) for value in values.values()):
                continue
            assignments = ", ".join(f"{column} = :{column}" for column in columns)
            connection.execute(
                sa.text(f"UPDATE {table} SET {assignments} WHERE {key} = :key"),  # noqa: S608
                {"key": row[key], **{column: change(value) for column, value in values.items()}},
            )


def upgrade() -> None:
    _resize(512, 128)
    _convert(lambda value: secrets.box().reseal(value), lambda value: not secrets.is_sealed(value))


def downgrade() -> None:
    _convert(lambda value: secrets.box().open(value), secrets.is_sealed)
    _resize(128, 512)
