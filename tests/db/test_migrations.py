"""One head; the migrations build the schema from empty; models and migrations agree."""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, delete, inspect, text
from sqlalchemy.engine import make_url

from studio_comms.db.database import Database
from studio_comms.db.engine import normalize_url
from studio_comms.db.migrate import alembic_config
from studio_comms.preferences.models import StudioChannelSetting
from studio_comms.schema import METADATA
from studio_comms.studios.models import Studio
from tests.conftest import FixedClock, backend, postgres_admin_url
from tests.dbtools import orm
from tests.factories import make_studio
from tests.servers import STUDIO_COMMS


def test_there_is_exactly_one_head() -> None:
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


def test_the_test_database_was_built_by_the_migrations(engine: Engine) -> None:
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    assert current == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert {
        "studios",
        "api_keys",
        "customers",
        "consent_ledger",
        "customer_channel_choices",
        "suppressions",
        "studio_channel_settings",
        "idempotency_records",
    } <= set(inspect(engine).get_table_names())


def test_models_and_migrations_do_not_differ(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, METADATA)
    assert differences == []


def test_ids_of_deleted_rows_are_never_handed_out_again(db: Database, clock: FixedClock) -> None:
    with db.transaction() as tx:
        first = make_studio(tx, now=clock.now, name="short-lived")
    with orm(db) as session:
        session.execute(delete(StudioChannelSetting).where(StudioChannelSetting.studio_id == first))
        session.execute(delete(Studio).where(Studio.id == first))
        session.commit()
    with db.transaction() as tx:
        second = make_studio(tx, now=clock.now, name="next")
    assert second > first


@pytest.mark.postgres_only
def test_processes_starting_together_migrate_one_after_the_other() -> None:
    """serve and several workers each migrate at start; on a new database they must not collide."""
    admin_url = postgres_admin_url()
    name = f"sc_migrate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        # Processes, as in production (Alembic's context is global to a process).
        env = {**os.environ, "STUDIO_COMMS_DATABASE_URL": url}
        migrating = [subprocess.Popen([str(STUDIO_COMMS), "migrate"], env=env) for _ in range(4)]
        assert [process.wait(timeout=120) for process in migrating] == [0, 0, 0, 0]
        check = create_engine(normalize_url(url))
        with check.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [
                ScriptDirectory.from_config(alembic_config()).get_current_head()
            ]
        check.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_studios_that_never_chose_a_consent_mode_move_to_record(empty_database: str) -> None:
    """Before 0005 the default was REJECT: RECORD was a choice, REJECT may have been the default."""
    command.upgrade(alembic_config(empty_database), "0004")
    engine = create_engine(normalize_url(empty_database))
    try:
        with engine.begin() as connection:
            for name, mode in (("kept default", "REJECT"), ("chose record", "RECORD")):
                connection.execute(
                    text(
                        "INSERT INTO studios (name, language, time_zone, consent_enforcement, created_at) "
                        "VALUES (:name, 'de', 'Europe/Berlin', :mode, :now)"
                    ),
                    {"name": name, "mode": mode, "now": FixedClock().now},
                )
            connection.execute(
                text(
                    "INSERT INTO studio_channel_settings (studio_id, message_category, "
                    "communication_channel, active, customer_overridable) "
                    "SELECT id, 'GENERAL', 'EMAIL', true, true FROM studios"
                )
            )
        command.upgrade(alembic_config(empty_database), "head")
        with engine.begin() as connection:
            rows = connection.execute(
                text("SELECT name, consent_enforcement, consent_enforcement_chosen FROM studios ORDER BY id")
            ).all()
            assert [(name, mode, bool(chosen)) for name, mode, chosen in rows] == [
                ("kept default", "RECORD", False),
                ("chose record", "RECORD", True),
            ]
            # SQLite rebuilt the table: the rows referencing it survived (no cascade on the DROP)
            # and it still never hands out an id twice.
            settings = connection.execute(text("SELECT count(*) FROM studio_channel_settings")).scalar_one()
            assert settings == 2
            if backend() == "sqlite":
                tables = connection.execute(
                    text("SELECT sql FROM sqlite_master WHERE name IN ('studios', 'api_keys')")
                ).scalars()
                assert all("AUTOINCREMENT" in sql for sql in tables)
            # A studio made by plain SQL after the upgrade gets the new default too.
            connection.execute(
                text(
                    "INSERT INTO studios (name, language, time_zone, created_at) "
                    "VALUES ('later', 'de', 'Europe/Berlin', :now)"
                ),
                {"now": FixedClock().now},
            )
            later = connection.execute(
                text(
                    "SELECT consent_enforcement, consent_enforcement_chosen FROM studios WHERE name = 'later'"
                )
            ).one()
            assert (later[0], bool(later[1])) == ("RECORD", False)
        command.downgrade(alembic_config(empty_database), "0004")
        with engine.begin() as connection:
            modes = connection.execute(text("SELECT consent_enforcement FROM studios ORDER BY id")).scalars()
            assert list(modes) == ["REJECT", "RECORD", "REJECT"]
    finally:
        engine.dispose()
