"""Migration 0009: rows stored in clear before secrets were sealed are sealed on upgrade."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, text

from studio_comms.core import secrets
from studio_comms.db.engine import normalize_url
from studio_comms.db.migrate import alembic_config

AUTH_TOKEN = "f00dfeed" * 4
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2


def test_the_migration_seals_rows_stored_in_clear_and_the_downgrade_opens_them(empty_database: str) -> None:
    command.upgrade(alembic_config(empty_database), "0008_sms_bounces")
    engine = create_engine(normalize_url(empty_database))
    try:
        with engine.begin() as connection:
            studio = connection.execute(
                text(
                    "INSERT INTO studios (name, language, time_zone, consent_enforcement, created_at) "
                    "VALUES ('old', 'de', 'Europe/Berlin', 'RECORD', '2026-01-01 00:00:00+00') RETURNING id"
                )
            ).scalar_one()
            connection.execute(
                text(
                    "INSERT INTO sms_provider_credentials VALUES (:s, 'TWILIO', :sid, :token, '+4930901820', "
                    "'2026-01-01 00:00:00+00')"
                ),
                {"s": studio, "sid": ACCOUNT_SID, "token": AUTH_TOKEN},
            )
            connection.execute(
                text(
                    "INSERT INTO webhook_subscriptions (studio_id, url, api_key, signing_secret, status, "
                    "created_at) VALUES (:s, 'https://x.example', 'old-api-key', 'whsec_old', 'ACTIVE', "
                    "'2026-01-01 00:00:00+00')"
                ),
                {"s": studio},
            )
        command.upgrade(alembic_config(empty_database), "head")
        with engine.connect() as connection:
            token = connection.execute(text("SELECT auth_token FROM sms_provider_credentials")).scalar_one()
            api_key, signing = connection.execute(
                text("SELECT api_key, signing_secret FROM webhook_subscriptions")
            ).one()
        assert secrets.is_sealed(token)
        assert AUTH_TOKEN not in token
        box = secrets.box()
        assert (box.open(token), box.open(api_key), box.open(signing)) == (
            AUTH_TOKEN,
            "old-api-key",
            "whsec_old",
        )
        command.downgrade(alembic_config(empty_database), "0008_sms_bounces")
        with engine.connect() as connection:
            assert connection.execute(
                text("SELECT auth_token FROM sms_provider_credentials")
            ).scalar_one() == (AUTH_TOKEN)
    finally:
        engine.dispose()
