"""Sessions for entry points. Only entry points commit (DESIGN §4 rule 1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from studio_comms.db.engine import SQLITE_BEGIN_OPTION
from studio_comms.db.rawsql import RawConnection


class Database:
    """Hands out sessions; write sessions take SQLite's write lock up front."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(
            engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"}), expire_on_commit=False
        )

    def session(self, *, write: bool = True) -> Session:
        return (self._write if write else self._read)()

    @contextmanager
    def read_only(self) -> Iterator[RawConnection]:
        """A read transaction on a pooled driver connection, without the ORM (hot reads only)."""
        pooled = self.engine.raw_connection()
        try:
            if self.engine.dialect.name == "sqlite":
                # Our connect hook switched pysqlite's implicit transactions off: begin explicitly,
                # so that all reads of the request see one snapshot.
                pooled.driver_connection.execute("BEGIN")  # type: ignore[union-attr]
            yield RawConnection(pooled.driver_connection, self.engine.dialect.name)
        finally:
            pooled.rollback()  # nothing was written; this ends the snapshot
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


class ConnectionBoundDatabase(Database):
    """A Database whose sessions live inside one outer transaction (tests roll it back afterwards)."""

    def __init__(self, connection: Connection) -> None:
        self.engine = connection.engine
        self._connection = connection
        self._bound = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )

    def session(self, *, write: bool = True) -> Session:
        return self._bound()

    @contextmanager
    def read_only(self) -> Iterator[RawConnection]:
        # Inside the test's outer transaction, so reads see what the test wrote.
        yield RawConnection(self._connection.connection.driver_connection, self.engine.dialect.name)
