"""A unit of work on one driver connection: run :class:`~studio_comms.db.sql.Sql` statements.

Services and repositories receive a ``Tx``; only entry points open one (``Database``) and only
``Database`` commits it. Values cross the boundary the same way on both databases: datetimes are
aware UTC (SQLite keeps them as ISO text without offset, as the schema always has), JSON columns
take dicts and lists, booleans are ``bool``; rows come back as their statement's row class, made
the same way for both (:mod:`studio_comms.db.rows`). Driver errors become :mod:`studio_comms.db.errors`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, overload

import orjson

from studio_comms.db import errors
from studio_comms.db.sql import NoRows, Sql

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# A row class: a slotted dataclass (db.rows); a statement without one has none to read.
R = TypeVar("R", bound="DataclassInstance")


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

    __slots__ = ("_adapters", "_connection", "_later", "_once", "_sqlite", "dialect", "memo", "sole_writer")

    def __init__(self, driver_connection: Any, dialect: str, *, sole_writer: bool = False) -> None:
        self._connection = driver_connection
        self.dialect = dialect
        self._sqlite = dialect == "sqlite"
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
        self._later: dict[Sql[Any], list[tuple[dict[str, Any], Callable[[Any], None] | None]]] = {}

    def _params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        adapters = self._adapters
        return {
            name: adapters[type(value)](value) if type(value) in adapters else value
            for name, value in params.items()
        }

    def _execute(self, sql: Sql[Any], params: Mapping[str, Any]) -> Any:
        try:
            return self._connection.execute(sql.for_dialect(self.dialect), self._params(params))
        except Exception as error:
            _reraise(error)

    def rows(self, sql: Sql[R], **params: Any) -> list[R]:
        """The statement's rows, each made by its row class (``db.rows``)."""
        make = sql.make_sqlite if self._sqlite else sql.make_postgres
        if make is None:
            raise TypeError(f"declare the row class of the statement (Sql(…, row=…)): {sql.text!r}")
        cursor = self._execute(sql, params)
        try:
            found = cursor.fetchall()
            if self.dialect not in sql.checked:
                sql.check_columns(self.dialect, cursor.description)
        finally:
            cursor.close()
        made: list[R] = make(found)
        return made

    def row(self, sql: Sql[R], **params: Any) -> R | None:
        found = self.rows(sql, **params)
        return found[0] if found else None

    def scalar(self, sql: Sql[NoRows], **params: Any) -> Any:
        """The one column of the first row of a statement without a row class (None: no row)."""
        cursor = self._execute(sql, params)
        try:
            found = cursor.fetchone()
        finally:
            cursor.close()
        if found is None:
            return None
        (value,) = found
        return value

    def run(self, sql: Sql[Any], **params: Any) -> int:
        """A statement without result rows; returns how many rows it changed."""
        cursor = self._execute(sql, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def run_many(self, sql: Sql[Any], many: Iterable[Mapping[str, Any]]) -> None:
        cursor = self._connection.cursor()
        try:
            cursor.executemany(sql.for_dialect(self.dialect), [self._params(p) for p in many])
        except Exception as error:
            _reraise(error)
        finally:
            cursor.close()

    @overload
    def later(self, sql: Sql[Any], then: None = None, **params: Any) -> None: ...
    @overload
    def later(self, sql: Sql[R], then: Callable[[R], None], **params: Any) -> None: ...
    def later(self, sql: Sql[Any], then: Callable[[Any], None] | None = None, **params: Any) -> None:
        """Run ``sql`` when the unit of work ends, just before it commits, with every other
        deferred execution of the same statement in one ``executemany`` (psycopg pipelines it:
        one round trip for all, where one each would cost a round trip each).

        Statements go in the order each was first deferred. ``then`` receives the statement's
        first result row (``RETURNING``) and may defer more (they go in a later round): that is
        how a row that needs another's new id is written without a round trip per row (the
        statement names its row class, as for :meth:`rows`).
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

    def _returning_many(self, sql: Sql[Any], many: list[dict[str, Any]]) -> list[Any]:
        """The first row each execution returned; psycopg sends them all in one pipeline."""
        make = sql.make_sqlite if self._sqlite else sql.make_postgres
        if make is None:
            raise TypeError(f"declare the row class of the statement (Sql(…, row=…)): {sql.text!r}")
        cursor = self._connection.cursor()
        try:
            text = sql.for_dialect(self.dialect)
            found: list[tuple[Any, ...] | None] = []
            if self._sqlite:  # no RETURNING from sqlite3's executemany; no round trips either
                for params in many:
                    cursor.execute(text, self._params(params))
                    found.append(cursor.fetchone())
            else:
                cursor.executemany(text, [self._params(p) for p in many], returning=True)
                while True:
                    found.append(cursor.fetchone())
                    if not cursor.nextset():
                        break
            if self.dialect not in sql.checked and cursor.description is not None:
                sql.check_columns(self.dialect, cursor.description)
            made = iter(make([row for row in found if row is not None]))
            return [None if row is None else next(made) for row in found]
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
