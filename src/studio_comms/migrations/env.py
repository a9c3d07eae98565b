"""Alembic environment: the URL comes from the caller's config (see ``db.migrate``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

from studio_comms.db.engine import make_engine
from studio_comms.schema import METADATA

target_metadata = METADATA


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode recreates tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


# Any fixed number, the same in every process: the key of PostgreSQL's advisory lock.
_MIGRATION_LOCK = 0x5C0_3A1E


def _run_alone(connection: Connection) -> None:
    """Several processes starting at once (serve, workers) migrate one after the other: the
    first upgrades, the others then find the schema at head. SQLite serialises by itself."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
    if connection.dialect.name == "sqlite":
        # Batch mode recreates a table: copy, DROP the old one, rename. With foreign keys on,
        # that DROP deletes every row referencing the table (ON DELETE CASCADE). The pragma is
        # ignored inside a transaction, so it goes to the driver before anything begins.
        driver = connection.connection.driver_connection
        assert driver is not None
        driver.execute("PRAGMA foreign_keys=OFF")
    _run(connection)
    connection.commit()  # also releases the lock


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as new_connection:
        _run_alone(new_connection)
    engine.dispose()
