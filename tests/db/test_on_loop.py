"""SQLite units of work on the event loop (``Database.on_loop``): they never wait for a lock; one
that would wait is rolled back whole and raised as ``WouldWait``, for the caller to run it again on
a thread. Own SQLite files: this is SQLite's path in both runs of the suite."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio_comms.db.database import Database, WouldWait
from studio_comms.db.engine import make_engine
from studio_comms.db.errors import ConstraintViolation
from studio_comms.db.sql import Sql

INSERT = Sql("INSERT INTO things (name) VALUES (:name)")
COUNT = Sql("SELECT count(*) FROM things")


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[tuple[Database, Path]]:
    path = tmp_path / "loop.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE things (name TEXT NOT NULL UNIQUE)")
    yield Database(engine), path
    engine.dispose()


def count(database: Database) -> int:
    with database.read() as tx:
        return int(tx.scalar(COUNT))


def test_a_unit_on_the_loop_commits_and_reads_like_any_other(sqlite_file: tuple[Database, Path]) -> None:
    database, _ = sqlite_file
    assert database.runs_on_loop
    with database.on_loop(write=True) as tx:
        tx.run(INSERT, name="a")
    with database.on_loop(write=False) as tx:
        assert tx.scalar(COUNT) == 1
    assert count(database) == 1


def test_the_write_lock_held_by_another_connection_means_would_wait_not_a_wait(
    sqlite_file: tuple[Database, Path],
) -> None:
    database, path = sqlite_file
    other = sqlite3.connect(path, isolation_level=None)  # as another process would hold it
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(WouldWait), database.on_loop(write=True) as tx:
            tx.run(INSERT, name="never")
    finally:
        other.execute("ROLLBACK")
        other.close()
    # Nothing of it was written, and the turn was given back: the next unit runs on the loop.
    assert count(database) == 0
    with database.on_loop(write=True) as tx:
        tx.run(INSERT, name="b")
    assert count(database) == 1


def test_a_writer_of_this_process_on_a_thread_means_would_wait(sqlite_file: tuple[Database, Path]) -> None:
    database, _ = sqlite_file
    holding, release = threading.Event(), threading.Event()

    def thread_writer() -> None:
        with database.transaction() as tx:
            tx.run(INSERT, name="thread")
            holding.set()
            release.wait(10)

    writer = threading.Thread(target=thread_writer)
    writer.start()
    try:
        assert holding.wait(10)
        with pytest.raises(WouldWait), database.on_loop(write=True) as tx:
            tx.run(INSERT, name="loop")
    finally:
        release.set()
        writer.join(10)
    assert count(database) == 1  # the thread's row only


def test_a_failing_statement_rolls_the_whole_unit_back(sqlite_file: tuple[Database, Path]) -> None:
    database, _ = sqlite_file

    def twice() -> None:
        with database.on_loop(write=True) as tx:
            tx.run(INSERT, name="twice")
            tx.run(INSERT, name="twice")

    with pytest.raises(ConstraintViolation):
        twice()
    assert count(database) == 0


def test_the_loop_connection_never_waits_but_thread_connections_still_do(
    sqlite_file: tuple[Database, Path],
) -> None:
    database, _ = sqlite_file
    with database.on_loop(write=False) as tx:
        assert tx.scalar(Sql("PRAGMA busy_timeout")) == 0
    with database.read() as tx:
        assert tx.scalar(Sql("PRAGMA busy_timeout")) == 10000
