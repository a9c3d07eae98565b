"""Mail relays' event webhooks: a studio's provider credential and the events already received

Revision ID: 0015_mailevents_provider_events
Revises: 0014_customers_number_status
Create Date: 2026-12-08

Postmark, Mailgun and SendGrid report bounces, complaints and deliveries as signed webhooks
(``POST /mail-events/{provider}/{studioId}``); each event acts once (unique per provider event id).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_mailevents_provider_events"
down_revision = "0014_customers_number_status"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "mail_provider_credentials",
        sa.Column("studio_id", _ID, nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=True),
        sa.Column("secret", sa.String(length=1024), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["studio_id"],
            ["studios.id"],
            name=op.f("fk_mail_provider_credentials_studio_id_studios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("studio_id", name=op.f("pk_mail_provider_credentials")),
    )
    op.create_table(
        "mail_provider_events",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("studio_id", _ID, nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["studio_id"],
            ["studios.id"],
            name=op.f("fk_mail_provider_events_studio_id_studios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_provider_events")),
        sa.UniqueConstraint("studio_id", "provider", "event_id", name="uq_mail_provider_events_event"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("mail_provider_events")
    op.drop_table("mail_provider_credentials")
