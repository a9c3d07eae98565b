"""A database of its own for every test, on the production unit of work.

The migrations run once per test process (one per pytest-xdist worker). Each test then starts
from the migrated, empty schema:

- SQLite: a copy of the migrated file, in the test's own directory (copying ~0.5 MB costs well
  under a millisecond; nothing is shared, so nothing needs cleaning up).
- PostgreSQL: the process's own database (``sc_test_<worker>_<pid>_<random>``), emptied before the
  test with one ``DELETE`` per table in one round trip (measured: a few milliseconds, where a
  ``CREATE DATABASE … TEMPLATE`` per test took hundreds).

Tests commit for real: the app under test runs ``Database`` exactly as ``serve`` does (SQLite's
units on the event loop, ``WouldWait``, the single writer; PostgreSQL's units on threads).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from studio_comms.db.migrate import upgrade
from studio_comms.schema import METADATA

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
# What emptying a database may wait for a lock: a test that leaked a transaction is ended instead.
_WIPE_LOCK_TIMEOUT = "3s"


def backend() -> str:
    return os.environ.get("STUDIO_COMMS_TEST_DB", "sqlite")


def postgres_admin_url() -> str:
    return os.environ.get("STUDIO_COMMS_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def worker_name() -> str:
    """``gw0``, ``gw1`` … under pytest-xdist, ``main`` without it."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def migrated_sqlite_template(directory: Path) -> Path:
    """A migrated SQLite file, checkpointed so that the file alone holds everything (WAL)."""
    path = directory / "template.db"
    upgrade(f"sqlite:///{path}")
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")  # each copy turns WAL on again when opened
    return path


def sqlite_copy(template: Path, directory: Path) -> str:
    path = directory / "studio-comms-test.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@contextmanager
def postgres_database() -> Iterator[str]:
    """A migrated database of this test process's own, dropped at the end."""
    admin_url = postgres_admin_url()
    name = f"sc_test_{worker_name()}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Children first, so that no foreign key is in the way; alembic_version stays. Every sequence
# starts again at 1, as in a fresh SQLite copy: ids do not depend on the tests that ran before.
_WIPE = ";".join(
    [f'DELETE FROM "{table.name}"' for table in reversed(METADATA.sorted_tables)]  # noqa: S608
    + [
        "SELECT setval(c.oid::regclass, 1, false) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND n.nspname = 'public'"
    ]
)


def empty_postgres(url: str) -> None:
    """Every row of the previous test goes; a connection it left holding a lock is ended first."""
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"SET lock_timeout = '{_WIPE_LOCK_TIMEOUT}'")
        try:
            connection.execute(_WIPE)
        except psycopg.errors.LockNotAvailable:
            connection.execute(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            connection.execute(_WIPE)


def fresh_database(migrated_database: str, directory: Path) -> str:
    """What the ``database_url`` fixture gives a test: for a test that needs a second one (on
    PostgreSQL the same database, emptied again)."""
    if backend() == "sqlite":
        directory.mkdir(parents=True, exist_ok=True)
        return sqlite_copy(Path(migrated_database), directory)
    empty_postgres(migrated_database)
    return migrated_database
