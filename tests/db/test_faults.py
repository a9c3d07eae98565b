"""``db.errors`` on errors the real drivers raise: what they mean, and log lines without values."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from studio_comms.db.engine import make_engine
from studio_comms.db.errors import Fault, describe, fault_of

SECRET = "planted-secret-4711"


def _failure(connection: Connection, statement: str, **params: object) -> DBAPIError:
    with pytest.raises(DBAPIError) as raised, connection.begin_nested():
        connection.execute(text(statement), params)
    return raised.value


def test_a_duplicate_is_a_conflict_and_its_value_stays_out_of_the_log(connection: Connection) -> None:
    connection.execute(text("CREATE TEMPORARY TABLE planted (value VARCHAR(64) UNIQUE)"))
    connection.execute(text("INSERT INTO planted (value) VALUES (:v)"), {"v": SECRET})
    error = _failure(connection, "INSERT INTO planted (value) VALUES (:v)", v=SECRET)
    assert fault_of(error) is Fault.CONFLICT
    # The engine hides statement values (PostgreSQL's own DETAIL line may still quote them) ...
    assert "hidden due to hide_parameters" in str(error)
    # ... and the log line keeps none of the driver's message at all.
    assert SECRET not in describe(error)
    assert describe(error).startswith(
        ("UniqueViolation: SQLSTATE 23505", "IntegrityError: SQLITE_CONSTRAINT")
    )


@pytest.mark.postgres_only
def test_a_value_postgresql_refuses_is_bad_data_and_is_not_echoed(connection: Connection) -> None:
    error = _failure(connection, "SELECT CAST(:v AS integer)", v=SECRET)
    assert SECRET in str(error.orig)  # PostgreSQL quotes the input it could not read
    assert fault_of(error) is Fault.BAD_DATA
    assert SECRET not in describe(error)
    nul = _failure(connection, "SELECT CAST(:v AS text)", v="a\x00b")
    assert fault_of(nul) is Fault.BAD_DATA


def test_an_unreachable_database_is_unavailable() -> None:
    engine = make_engine("postgresql://postgres@127.0.0.1:1/none", connect_args={"connect_timeout": 2})
    try:
        with pytest.raises(DBAPIError) as raised:
            engine.connect()
    finally:
        engine.dispose()
    assert fault_of(raised.value) is Fault.UNAVAILABLE
    assert "Connection refused" in describe(raised.value) or "connection" in describe(raised.value).lower()


def test_a_sqlite_database_locked_past_its_busy_timeout_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError) as raised:
            waiter.execute("BEGIN IMMEDIATE")
    finally:
        waiter.close()
        holder.close()
    assert fault_of(raised.value) is Fault.UNAVAILABLE
    assert describe(raised.value) == "OperationalError: SQLITE_BUSY, database is locked"


def test_errors_that_are_no_database_fault_are_left_to_the_500_path() -> None:
    assert fault_of(RuntimeError("boom")) is None
    assert fault_of(ValueError("x")) is None
