"""A provider's report is kept once: one row per message and provider status

Revision ID: 0013_sending_sms_reports_once
Revises: 0012_bounces_unattributed
Create Date: 2026-12-07

Twilio retries a callback it got no answer to, and its signature has no timestamp (a captured
request verifies forever): the same MessageSid and MessageStatus may arrive many times. A unique
index makes the repeat a no-op (``INSERT … ON CONFLICT DO NOTHING``), also between concurrent
requests. Repeats stored before are removed here, the first of each kept.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_sending_sms_reports_once"
down_revision = "0012_bounces_unattributed"
branch_labels = None
depends_on = None

_COLUMNS = ["studio_id", "provider_message_id", "provider_status"]


def upgrade() -> None:
    op.get_bind().execute(
        sa.text(
            """
            DELETE FROM sms_status_reports WHERE id NOT IN (
              SELECT MIN(id) FROM sms_status_reports
              GROUP BY studio_id, provider_message_id, provider_status
            )
            """
        )
    )
    op.create_index("ux_sms_status_reports_once", "sms_status_reports", _COLUMNS, unique=True)


def downgrade() -> None:
    op.drop_index("ux_sms_status_reports_once", table_name="sms_status_reports")
