"""Sessions for entry points. Only entry points commit (DESIGN §4 rule 1)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from studio_comms.db.engine import SQLITE_BEGIN_OPTION, make_engine
from studio_comms.db.faults import Fault, fault_of
from studio_comms.db.rawsql import RawConnection


class Database:
    """Hands out sessions; write sessions take SQLite's write lock up front."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(
            engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"}), expire_on_commit=False
        )
        # SQLite has one writer at a time. Writers of this process queue on this lock, in order;
        # left to SQLite's busy handler they would poll with sleeps of up to 100 ms (measured: PUT
        # p99 of seconds under 16 concurrent writers). Other processes still meet the busy timeout.
        self._writer_turn = threading.Lock() if engine.dialect.name == "sqlite" else None

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """A session for one unit of work; closing it ends (rolls back) whatever was not committed."""
        turn = self._writer_turn if write else None
        if turn is not None:
            turn.acquire()
        try:
            with (self._write if write else self._read)() as session:
                yield session
        finally:
            if turn is not None:
                turn.release()

    @contextmanager
    def read_only(self) -> Iterator[RawConnection]:
        """Reads on a pooled driver connection, without the ORM (the hot reads only).

        On SQLite each statement reads its own snapshot (no BEGIN: it cost more than the queries);
        callers read with one statement what must be consistent. Returning the connection to the
        pool rolls back whatever PostgreSQL's implicit transaction holds.
        """
        pooled = self.engine.raw_connection()
        try:
            yield RawConnection(pooled.driver_connection, self.engine.dialect.name)
        except Exception as error:
            # A lost connection goes, instead of failing its rollback when returned to the pool.
            if fault_of(error) is Fault.UNAVAILABLE:
                pooled.invalidate()
            raise
        finally:
            pooled.close()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """One unit of work for a CLI command or a worker item: commit on success, else roll back."""
        with self.session(write=write) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise


@contextmanager
def open_database(url: str, **engine_options: Any) -> Iterator[Database]:
    """A Database on an engine of its own, disposed at the end (CLI commands, worker processes)."""
    engine = make_engine(url, **engine_options)
    try:
        yield Database(engine)
    finally:
        engine.dispose()


class ConnectionBoundDatabase(Database):
    """A Database whose sessions live inside one outer transaction (tests roll it back afterwards)."""

    def __init__(self, connection: Connection) -> None:
        self.engine = connection.engine
        self._connection = connection
        self._bound = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        with self._bound() as session:
            yield session

    @contextmanager
    def read_only(self) -> Iterator[RawConnection]:
        # Inside the test's outer transaction, so reads see what the test wrote.
        yield RawConnection(self._connection.connection.driver_connection, self.engine.dialect.name)
