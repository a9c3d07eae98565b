"""One head; the migrations build the schema from empty; models and migrations agree."""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, delete, inspect, text
from sqlalchemy.engine import make_url

from studio_comms.db.base import Base, import_all_models
from studio_comms.db.engine import normalize_url
from studio_comms.db.migrate import alembic_config
from studio_comms.db.session import Database
from studio_comms.studios.models import Studio, StudioChannelSetting
from tests.conftest import FixedClock, postgres_admin_url
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
    import_all_models()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_ids_of_deleted_rows_are_never_handed_out_again(db: Database, clock: FixedClock) -> None:
    with db.transaction() as session:
        first = make_studio(session, now=clock.now, name="short-lived")
        session.execute(delete(StudioChannelSetting).where(StudioChannelSetting.studio_id == first))
        session.execute(delete(Studio).where(Studio.id == first))
    with db.transaction() as session:
        second = make_studio(session, now=clock.now, name="next")
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
