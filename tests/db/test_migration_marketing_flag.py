"""Migration 0010: messages stored before are marketing exactly when their mail carried the
one-click unsubscribe headers (NEWSLETTER, LOYALTY_PROGRAM); studios' GENERAL mail is marketing."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect, text

from studio_comms.db.engine import normalize_url
from studio_comms.db.migrate import alembic_config

BEFORE = "0009_inputs_sealed_secrets"
CATEGORIES = ("NEWSLETTER", "LOYALTY_PROGRAM", "GENERAL", "APPOINTMENT", "CONTRACT")
NOW = "2026-01-01 00:00:00+00"


def test_old_messages_keep_what_their_category_meant_and_the_downgrade_drops_the_columns(
    empty_database: str,
) -> None:
    command.upgrade(alembic_config(empty_database), BEFORE)
    engine = create_engine(normalize_url(empty_database))
    try:
        with engine.begin() as connection:
            studio = connection.execute(
                text(
                    "INSERT INTO studios (name, language, time_zone, consent_enforcement, created_at) "
                    "VALUES ('old', 'de', 'Europe/Berlin', 'RECORD', :now) RETURNING id"
                ),
                {"now": NOW},
            ).scalar_one()
            connection.execute(
                text(
                    "INSERT INTO customers (studio_id, customer_id, first_name, last_name, created_at, "
                    "updated_at) VALUES (:s, 1, 'A', 'B', :now, :now)"
                ),
                {"s": studio, "now": NOW},
            )
            for category in CATEGORIES:
                connection.execute(
                    text(
                        "INSERT INTO messages (studio_id, customer_id, channel, category, content, status, "
                        "send_at, attempts, created_at, updated_at) VALUES (:s, 1, 'EMAIL', :c, 'x', "
                        "'SENT', :now, 1, :now, :now)"
                    ),
                    {"s": studio, "c": category, "now": NOW},
                )
            connection.execute(
                text("INSERT INTO message_settings (studio_id, updated_at) VALUES (:s, :now)"),
                {"s": studio, "now": NOW},
            )
        command.upgrade(alembic_config(empty_database), "head")
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT category, marketing FROM messages")).all()
            general = connection.execute(
                text("SELECT general_is_marketing FROM message_settings")
            ).scalar_one()
        assert {category: bool(flag) for category, flag in rows} == {
            "NEWSLETTER": True,
            "LOYALTY_PROGRAM": True,
            "GENERAL": False,
            "APPOINTMENT": False,
            "CONTRACT": False,
        }
        assert bool(general) is True
        command.downgrade(alembic_config(empty_database), BEFORE)
        columns = inspect(engine)
        assert "marketing" not in {c["name"] for c in columns.get_columns("messages")}
        assert "general_is_marketing" not in {c["name"] for c in columns.get_columns("message_settings")}
        with engine.connect() as connection:
            assert connection.execute(text("SELECT COUNT(*) FROM messages")).scalar_one() == len(CATEGORIES)
    finally:
        engine.dispose()
