"""A database of its own for every test, on the production unit of work.

The migrations run once per test process (one per pytest-xdist worker). Each test then starts
from the migrated, empty schema:

- SQLite: a copy of the migrated file (200 KB), in the test's own directory (0.3 ms; nothing is
  shared, so nothing needs cleaning up).
- PostgreSQL: the process's own database (``sc_test_<worker>_<pid>_<random>``), emptied before the
  test with one ``DELETE`` per table and its sequences restarted, in one round trip on a kept
  connection (measured on this 2-core machine under a load of 20: 29 ms, where ``TRUNCATE … RESTART
  IDENTITY`` took 780 ms and a ``CREATE DATABASE … TEMPLATE`` per test 290 ms).

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
        wiper = _wipers.pop(url, None)
        if wiper is not None:
            wiper[0].close()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Children first, so that no foreign key is in the way; alembic_version stays.
_DELETE = ";".join(f'DELETE FROM "{table.name}"' for table in reversed(METADATA.sorted_tables))  # noqa: S608
_SEQUENCES = (
    "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind = 'S' AND n.nspname = 'public'"
)
# One connection per test process, kept: connecting costs more than emptying (measured on this
# 2-core machine under load: connect 36 ms, the DELETEs and setvals 29 ms).
_wipers: dict[str, tuple[psycopg.Connection[tuple[object, ...]], str]] = {}


def _wiper(url: str) -> tuple[psycopg.Connection[tuple[object, ...]], str]:
    found = _wipers.get(url)
    if found is not None and not found[0].closed:
        return found
    connection = psycopg.connect(url, autocommit=True)
    connection.execute(f"SET lock_timeout = '{_WIPE_LOCK_TIMEOUT}'")
    # Every sequence starts again at 1, as in a fresh SQLite copy: ids do not depend on the
    # tests that ran before.
    sequences = [row[0] for row in connection.execute(_SEQUENCES)]
    restart = ", ".join(f"setval('{name}', 1, false)" for name in sequences)
    wipe = f"{_DELETE};SELECT {restart}" if sequences else _DELETE
    _wipers[url] = (connection, wipe)
    return connection, wipe


def empty_postgres(url: str) -> None:
    """Every row of the previous test goes; a connection it left holding a lock is ended first."""
    connection, wipe = _wiper(url)
    try:
        connection.execute(wipe)
    except psycopg.errors.LockNotAvailable:
        connection.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        connection.execute(wipe)
    except psycopg.OperationalError:  # the connection was lost (a test ended backends): once more
        _wipers.pop(url, None)
        connection, wipe = _wiper(url)
        connection.execute(wipe)


def fresh_database(migrated_database: str, directory: Path) -> str:
    """What the ``database_url`` fixture gives a test: for a test that needs a second one (on
    PostgreSQL the same database, emptied again)."""
    if backend() == "sqlite":
        directory.mkdir(parents=True, exist_ok=True)
        return sqlite_copy(Path(migrated_database), directory)
    empty_postgres(migrated_database)
    return migrated_database
