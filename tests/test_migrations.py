"""One head; the migrations build the schema from empty; models and migrations agree."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, delete, inspect

from studio_comms.db.base import Base, import_all_models
from studio_comms.db.migrate import alembic_config
from studio_comms.db.session import Database
from studio_comms.studios.models import Studio, StudioChannelSetting
from tests.conftest import FixedClock
from tests.factories import make_studio


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
