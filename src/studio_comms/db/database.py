"""Transactions for entry points. Only entry points commit (ARCHITECTURE.md, "Rules"): they open a
transaction here, and leaving it commits; services and repositories only receive the ``Tx``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import Any

from sqlalchemy import Engine

from studio_comms.db import errors
from studio_comms.db.engine import make_engine
from studio_comms.db.sql import Sql
from studio_comms.db.tx import Tx

_PING = Sql("SELECT 1")


class WouldWait(Exception):
    """A unit of work on the event loop met a lock it would have to wait for; nothing of it was
    committed, so it can run again on a worker thread, where waiting is harmless."""


class Database:
    """Pooled connections of one engine; SQLite writers of this process take turns."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        # SQLite has one writer at a time. Writers of this process queue on this lock, in order;
        # left to SQLite's busy handler they would poll with sleeps of up to 100 ms (measured: PUT
        # p99 of seconds under 16 concurrent writers). Other processes still meet the busy timeout.
        self._writer_turn = threading.Lock() if self.dialect == "sqlite" else None
        # SQLite answers a short unit of work in tens of microseconds, less than handing it to a
        # worker thread and back costs (docs/benchmarks.md): such units run on the event loop,
        # on a connection of its own that never waits for a lock (see ``on_loop``). PostgreSQL's
        # round trips would stall the loop: its units always run on threads.
        self.runs_on_loop = self.dialect == "sqlite"
        self._loop_connection: Any = None

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        try:
            pooled = self.engine.raw_connection()
        except Exception as error:
            translated = errors.translate(error)
            if translated is error:
                raise
            raise translated from None
        try:
            yield pooled
        except Exception as error:
            translated = errors.translate(error)
            if isinstance(translated, errors.DatabaseUnavailable):
                # A broken connection must not go back to the pool (its reset would fail too).
                pooled.invalidate()
            if translated is error:
                raise
            raise translated from None
        finally:
            pooled.close()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        """One unit of work: committed when the block ends, rolled back when it raises.

        SQLite write transactions begin IMMEDIATE (the write lock first, so concurrent writers
        queue instead of failing on a lock upgrade); PostgreSQL begins implicitly.
        """
        turn = self._writer_turn if write else None
        if turn is not None:
            turn.acquire()
        try:
            with self._connection() as pooled:
                driver = pooled.driver_connection
                sqlite = self.dialect == "sqlite"
                if sqlite:
                    driver.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    tx = Tx(driver, self.dialect, sole_writer=sqlite and write)
                    yield tx
                    tx.flush()
                    driver.commit()
                except BaseException:
                    _roll_back(driver)
                    raise
        finally:
            if turn is not None:
                turn.release()

    @contextmanager
    def on_loop(self, *, write: bool) -> Iterator[Tx]:
        """A unit of work on the event loop's own SQLite connection, which never waits.

        A write takes this process's writer turn and SQLite's write lock without waiting (the
        connection's busy timeout is zero); either held elsewhere, or a lock met by any statement
        before the commit, rolls the unit back and raises :class:`WouldWait`: the caller runs it
        again on a thread. A read runs each statement on its own snapshot, as ``read`` does.
        Only one unit runs here at a time: the loop runs them one after the other.
        """
        turn = self._writer_turn if write else None
        if turn is not None and not turn.acquire(blocking=False):
            raise WouldWait()
        try:
            driver = self._loop_driver()
            try:
                if write:
                    driver.execute("BEGIN IMMEDIATE")
                tx = Tx(driver, self.dialect, sole_writer=write)
                yield tx
                tx.flush()
                if write:
                    driver.commit()
            except BaseException as error:
                if write:
                    _roll_back(driver)
                translated = errors.translate(error) if isinstance(error, Exception) else error
                if isinstance(translated, errors.DatabaseBusy):
                    raise WouldWait() from None
                if isinstance(translated, errors.DatabaseUnavailable):
                    self._drop_loop_connection()
                if translated is error:
                    raise
                raise translated from None
        finally:
            if turn is not None:
                turn.release()

    def unit(self, *, write: bool, on_loop: bool) -> AbstractContextManager[Tx]:
        """The unit of work an entry point was told to open (``Runtime.unit_of_work``): on the
        event loop's connection (:meth:`on_loop`), or a transaction (:meth:`transaction`)."""
        return self.on_loop(write=write) if on_loop else self.transaction(write=write)

    def _loop_driver(self) -> Any:
        if self._loop_connection is None:
            try:
                # A pool of its own, made like the engine's (same connect hooks, same pragmas):
                # this connection is never returned, so it must not take one of the engine's.
                pooled = self.engine.pool.recreate().connect()
            except Exception as error:
                raise errors.translate(error) from None
            driver: Any = pooled.driver_connection
            driver.execute("PRAGMA busy_timeout=0")
            # Kept out of the pool for good: its zero busy timeout is for the loop alone.
            self._loop_connection = pooled
        return self._loop_connection.driver_connection

    def close(self) -> None:
        """Closes the event loop's connection (the engine's pool is its owner's to dispose)."""
        self._drop_loop_connection()

    def _drop_loop_connection(self) -> None:
        pooled, self._loop_connection = self._loop_connection, None
        if pooled is not None:
            with suppress(Exception):
                pooled.invalidate()

    def ping(self) -> None:
        """Raises unless the database answers (readiness)."""
        with self.read() as tx:
            tx.scalar(_PING)

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """Reads without a transaction of their own, for the hottest paths.

        Each statement reads its own snapshot, so what must be consistent is read with one
        statement. On SQLite a BEGIN cost more than the queries; on PostgreSQL the statements run
        in autocommit (as READ COMMITTED would see them anyway), which spares the BEGIN and the
        ROLLBACK: two of a GET's four round trips.
        """
        with self._connection() as pooled:
            driver = pooled.driver_connection
            if self.dialect != "postgresql":
                yield Tx(driver, self.dialect)
                return
            driver.autocommit = True
            try:
                yield Tx(driver, self.dialect)
            finally:
                with suppress(Exception):  # a broken connection is discarded by _connection
                    driver.autocommit = False


def _roll_back(driver: Any) -> None:
    """Undo what the failed unit of work did; a connection too broken to roll back is discarded
    by ``_connection`` (the error that matters is the one already being raised)."""
    with suppress(Exception):
        driver.rollback()


@contextmanager
def open_database(url: str, **engine_options: Any) -> Iterator[Database]:
    """A Database on an engine of its own, disposed at the end (CLI commands, worker processes)."""
    engine = make_engine(url, **engine_options)
    database = Database(engine)
    try:
        yield database
    finally:
        database.close()
        engine.dispose()
