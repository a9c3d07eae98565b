"""Migration 0013: repeats of a provider's report stored before are removed, the first kept, and
the same report cannot be stored twice afterwards."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, exc, text

from studio_comms.db.engine import normalize_url
from studio_comms.db.migrate import alembic_config

SID = "SM" + "0123456789abcdef" * 2
_REPORT = text(
    "INSERT INTO sms_status_reports (studio_id, provider_message_id, provider_status, status, received_at) "
    "VALUES (:s, :sid, :status, NULL, '2026-01-01 00:00:00+00')"
)


def test_repeated_reports_are_removed_and_cannot_come_back(empty_database: str) -> None:
    command.upgrade(alembic_config(empty_database), "0012_bounces_unattributed")
    engine = create_engine(normalize_url(empty_database))
    try:
        with engine.begin() as connection:
            studio = connection.execute(
                text(
                    "INSERT INTO studios (name, language, time_zone, consent_enforcement, created_at) "
                    "VALUES ('old', 'de', 'Europe/Berlin', 'RECORD', '2026-01-01 00:00:00+00') RETURNING id"
                )
            ).scalar_one()
            for status in ("sent", "delivered", "delivered", "sent", "delivered"):
                connection.execute(_REPORT, {"s": studio, "sid": SID, "status": status})
        command.upgrade(alembic_config(empty_database), "0013_sending_sms_reports_once")
        with engine.connect() as connection:
            kept = connection.execute(text("SELECT id, provider_status FROM sms_status_reports ORDER BY id"))
            assert [tuple(row) for row in kept] == [(1, "sent"), (2, "delivered")]
        with pytest.raises(exc.IntegrityError), engine.begin() as connection:
            connection.execute(_REPORT, {"s": studio, "sid": SID, "status": "delivered"})
        command.downgrade(alembic_config(empty_database), "0012_bounces_unattributed")
    finally:
        engine.dispose()
