"""A unit of work on one driver connection: run :class:`~studio_comms.db.sql.Sql` statements.

Services and repositories receive a ``Tx``; only entry points open one (``Database``) and only
``Database`` commits it. Values cross the boundary the same way on both databases: datetimes are
aware UTC (SQLite keeps them as ISO text without offset, as the schema always has), JSON columns
take dicts and lists, booleans are ``bool``. Driver errors become :mod:`studio_comms.db.errors`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, NoReturn

import orjson

from studio_comms.db import errors
from studio_comms.db.sql import Sql

Row = tuple[Any, ...]


def _sqlite_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the database")
    # The text SQLAlchemy's SQLite dialect has always stored: ordered comparisons stay textual.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the database")
    return value


_SQLITE_ADAPTERS = {datetime: _sqlite_datetime, dict: _json, list: _json}
_POSTGRES_ADAPTERS = {datetime: _aware, dict: _json, list: _json}


class Tx:
    """Statements of one transaction (or, for ``Database.read``, of one read on SQLite)."""

    __slots__ = ("_adapters", "_connection", "_later", "_once", "dialect", "memo", "sole_writer")

    def __init__(self, driver_connection: Any, dialect: str, *, sole_writer: bool = False) -> None:
        self._connection = driver_connection
        self.dialect = dialect
        # True when no other writer can run until this transaction ends (SQLite's write
        # transactions, begun IMMEDIATE): row locks would add nothing.
        self.sole_writer = sole_writer
        self._adapters = _SQLITE_ADAPTERS if dialect == "sqlite" else _POSTGRES_ADAPTERS
        self._once: set[str] = set()
        # What a unit of work read once and reuses within itself (e.g. a studio's subscriptions
        # while a batch of events fans out); gone with the transaction.
        self.memo: dict[Any, Any] = {}
        # Statements sent together when the unit of work ends (``later``), by statement, in the
        # order each statement was first deferred.
        self._later: dict[Sql, list[tuple[dict[str, Any], Callable[[Row], None] | None]]] = {}

    def _params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        adapters = self._adapters
        return {
            name: adapters[type(value)](value) if type(value) in adapters else value
            for name, value in params.items()
        }

    def _execute(self, sql: Sql, params: Mapping[str, Any]) -> Any:
        try:
            return self._connection.execute(sql.for_dialect(self.dialect), self._params(params))
        except Exception as error:
            _reraise(error)

    def rows(self, sql: Sql, **params: Any) -> list[Row]:
        cursor = self._execute(sql, params)
        try:
            return cursor.fetchall() if cursor.description is not None else []
        finally:
            cursor.close()

    def row(self, sql: Sql, **params: Any) -> Row | None:
        found = self.rows(sql, **params)
        return found[0] if found else None

    def scalar(self, sql: Sql, **params: Any) -> Any:
        found = self.row(sql, **params)
        return found[0] if found else None

    def run(self, sql: Sql, **params: Any) -> int:
        """A statement without result rows; returns how many rows it changed."""
        cursor = self._execute(sql, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def run_many(self, sql: Sql, many: Iterable[Mapping[str, Any]]) -> None:
        cursor = self._connection.cursor()
        try:
            cursor.executemany(sql.for_dialect(self.dialect), [self._params(p) for p in many])
        except Exception as error:
            _reraise(error)
        finally:
            cursor.close()

    def later(self, sql: Sql, then: Callable[[Row], None] | None = None, **params: Any) -> None:
        """Run ``sql`` when the unit of work ends, just before it commits, with every other
        deferred execution of the same statement in one ``executemany`` (psycopg pipelines it:
        one round trip for all, where one each would cost a round trip each).

        Statements go in the order each was first deferred. ``then`` receives the statement's
        first result row (``RETURNING``) and may defer more (they go in a later round): that is
        how a row that needs another's new id is written without a round trip per row.
        Nothing deferred is visible to reads of this transaction before the end.
        """
        self._later.setdefault(sql, []).append((params, then))

    def flush(self) -> None:
        """Send what was deferred with :meth:`later` (``Database`` calls it before committing)."""
        while self._later:
            sql = next(iter(self._later))
            batch = self._later.pop(sql)
            params = [p for p, _ in batch]
            if all(then is None for _, then in batch):
                self.run_many(sql, params)
                continue
            for (_, then), row in zip(batch, self._returning_many(sql, params), strict=True):
                if then is not None and row is not None:
                    then(row)

    def _returning_many(self, sql: Sql, many: list[dict[str, Any]]) -> list[Row | None]:
        """The first row each execution returned; psycopg sends them all in one pipeline."""
        cursor = self._connection.cursor()
        try:
            text = sql.for_dialect(self.dialect)
            if self.dialect == "sqlite":  # no RETURNING from sqlite3's executemany; no round trips either
                found: list[Row | None] = []
                for params in many:
                    cursor.execute(text, self._params(params))
                    found.append(cursor.fetchone())
                return found
            cursor.executemany(text, [self._params(p) for p in many], returning=True)
            found = []
            while True:
                found.append(cursor.fetchone())
                if not cursor.nextset():
                    return found
        except Exception as error:
            _reraise(error)
        finally:
            cursor.close()

    def once(self, key: str) -> bool:
        """True the first time ``key`` is asked in this transaction (work done once per commit)."""
        if key in self._once:
            return False
        self._once.add(key)
        return True


def _reraise(error: Exception) -> NoReturn:
    """As one of ``db.errors``. Not chained: the driver's message can quote the statement's values
    (secrets, names), and a logged traceback would carry it along."""
    translated = errors.translate(error)
    if translated is error:
        raise error
    raise translated from None


def utc(value: Any) -> datetime:
    """A datetime column's value as an aware UTC datetime."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    assert isinstance(value, datetime), f"not a datetime: {value!r}"
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_or_none(value: Any) -> datetime | None:
    return None if value is None else utc(value)


def from_json(value: Any) -> Any:
    """A JSON column's value: psycopg parses it, sqlite3 hands back the text."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value
