"""Every statement a process sends to its database, seen at the driver (bench/statements.py,
bench/sqlite_replay.py): whatever layer of ours sends it, and however it opens its connections.

- SQLite: ``sqlite3``'s trace callback on every connection the engine makes, which reports each
  statement with its values written in, including the module's implicit ``BEGIN`` and ``COMMIT``.
- PostgreSQL: psycopg's cursor, commit and rollback methods wrapped for the time of the block,
  plus the ``BEGIN`` psycopg sends by itself before the first statement of a transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy import Engine, event

Listener = Callable[[str], None]


@contextlib.contextmanager
def traced(engine: Engine, listener: Listener) -> Iterator[None]:
    """``listener`` hears each statement sent on ``engine``'s connections while inside (for
    SQLite: on connections made while inside, so dispose of the pool before)."""
    if engine.dialect.name == "sqlite":
        with _sqlite(engine, listener):
            yield
    else:
        with _psycopg(listener):
            yield


@contextlib.contextmanager
def _sqlite(engine: Engine, listener: Listener) -> Iterator[None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(listener)

    event.listen(engine, "connect", on_connect)
    try:
        yield
    finally:
        event.remove(engine, "connect", on_connect)


@contextlib.contextmanager
def _psycopg(listener: Listener) -> Iterator[None]:
    cursor, connection = psycopg.Cursor, psycopg.Connection
    original = (cursor.execute, cursor.executemany, connection.commit, connection.rollback)

    def began(cur: Any) -> None:
        if cur.connection.info.transaction_status == TransactionStatus.IDLE and not cur.connection.autocommit:
            listener("BEGIN")

    def execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        began(self)
        listener(_text(query))
        return original[0](self, query, *args, **kwargs)

    def executemany(self: Any, query: Any, params_seq: Any, *args: Any, **kwargs: Any) -> Any:
        began(self)
        rows = list(params_seq)
        for _ in rows:
            listener(_text(query))
        return original[1](self, query, rows, *args, **kwargs)

    def commit(self: Any) -> None:
        if self.info.transaction_status != TransactionStatus.IDLE:
            listener("COMMIT")
        original[2](self)

    def rollback(self: Any) -> None:
        if self.info.transaction_status != TransactionStatus.IDLE:
            listener("ROLLBACK")
        original[3](self)

    cursor.execute, cursor.executemany = execute, executemany  # type: ignore[method-assign,assignment]
    connection.commit, connection.rollback = commit, rollback  # type: ignore[method-assign]
    try:
        yield
    finally:
        cursor.execute, cursor.executemany = original[0], original[1]  # type: ignore[method-assign]
        connection.commit, connection.rollback = original[2], original[3]  # type: ignore[method-assign]


def _text(query: Any) -> str:
    return query if isinstance(query, str) else query.decode() if isinstance(query, bytes) else str(query)
