"""Statements: plain SQL written once, at import time, in the module that owns its tables.

Every statement the service runs is an :class:`Sql` constant in a ``repository`` module (or the
outbox queue), so the architecture tests can read them all: which tables each touches, and
whether a statement on a studio-owned table is scoped by ``studio_id = :studio_id``
(``tests/architecture``). A statement that must read across studios says why, in
``cross_studio``; only a short list of modules may declare one.

The SQL is standard and runs on SQLite and PostgreSQL alike. :meth:`Sql.for_dialect` is the one
place that knows their differences: the driver's placeholder style, row locks, which SQLite
does not have (its write transactions hold the whole database, ``BEGIN IMMEDIATE``), and lists:
``id = ANY(:ids)`` takes a Python list of integers (one statement for a whole batch, its text the
same whatever the batch size, so both drivers reuse their prepared statement). The list travels
as one JSON array (``Tx`` sends lists as JSON) and is unpacked by the database: ``json_each`` on
SQLite, ``jsonb_array_elements_text`` on PostgreSQL.

A statement that returns rows names their class (``row=``, see :mod:`studio_comms.db.rows`); one
without a row class returns nothing, or one column that ``Tx.scalar`` reads.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar, overload

from studio_comms.db.rows import Maker, fields_of, makers

T = TypeVar("T")
R = TypeVar("R")

_NAMED = re.compile(r"(?<!:):(\w+)")
_ROW_LOCK = re.compile(r"\s+FOR\s+UPDATE(\s+SKIP\s+LOCKED)?\b", re.IGNORECASE)
_ANY = re.compile(r"=\s*ANY\(:(\w+)\)", re.IGNORECASE)
_SQLITE_LIST = r"IN (SELECT value FROM json_each(:\1))"
_POSTGRES_LIST = r"IN (SELECT CAST(value AS BIGINT) FROM jsonb_array_elements_text(CAST(:\1 AS jsonb)))"

# Every statement defined so far, in definition order (the architecture tests read it).
REGISTRY: list[Sql[Any]] = []


class NoRows:
    """The row type of a statement without a row class: ``Tx.rows`` refuses it."""


class Sql(Generic[R]):
    """A statement with ``:name`` placeholders, rendered once for each driver; ``R``, the class of
    its rows."""

    __slots__ = (
        "_postgres", "_sqlite", "checked", "columns", "cross_studio", "make_postgres", "make_sqlite",
        "module", "row", "text",
    )  # fmt: skip

    @overload
    def __init__(self: Sql[NoRows], text: str, *, cross_studio: str | None = None) -> None: ...
    @overload
    def __init__(self, text: str, *, row: type[R], cross_studio: str | None = None) -> None: ...
    def __init__(self, text: str, *, row: type[Any] | None = None, cross_studio: str | None = None) -> None:
        self.text = " ".join(text.split())
        self.row = row
        self.make_sqlite: Maker | None = None
        self.make_postgres: Maker | None = None
        # The columns the statement returns, as the row class names them (empty: no row class).
        self.columns: tuple[str, ...] = ()
        if row is not None:
            self.columns = fields_of(row)
            self.make_sqlite, self.make_postgres = makers(row)
        # The databases whose driver has described this statement's columns as the row class names them.
        self.checked: set[str] = set()
        # Why this statement may touch several studios' rows (None: it must be scoped to one).
        self.cross_studio = cross_studio
        self.module: str = sys._getframe(1).f_globals.get("__name__", "?")
        # sqlite3 takes :name as written; psycopg takes %(name)s (and a literal % doubled).
        self._sqlite = _ANY.sub(_SQLITE_LIST, _ROW_LOCK.sub("", self.text))
        self._postgres = _NAMED.sub(r"%(\1)s", _ANY.sub(_POSTGRES_LIST, self.text).replace("%", "%%"))
        REGISTRY.append(self)

    def for_dialect(self, dialect: str) -> str:
        return self._sqlite if dialect == "sqlite" else self._postgres

    def check_columns(self, dialect: str, description: Sequence[Sequence[Any]]) -> None:
        """The columns the driver describes are the row class's fields, in order."""
        assert self.row is not None
        columns = tuple(str(column[0]) for column in description)
        if columns != self.columns:
            raise TypeError(
                f"{self.row.__name__} has fields {self.columns}, but the statement returns columns "
                f"{columns}; name the columns as the fields (AS …), in the same order: {self.text!r}"
            )
        self.checked.add(dialect)

    def __repr__(self) -> str:
        return f"Sql({self.text!r})"


# Rows per multi-row INSERT, largest first. Small on purpose: psycopg caches the parsing of a
# statement only up to 4096 characters and 50 parameters (measured: parsing a 500-row statement
# each time cost more than the executemany it replaced).
CHUNK_SIZES = (10, 3, 1)


def repeated(row: str, count: int) -> str:
    """``row`` ``count`` times, comma-separated, its ``{i}`` numbering each copy's parameters: the
    VALUES of a multi-row INSERT (PostgreSQL: one round trip for a dozen rows, where psycopg's
    ``executemany`` costs a pipelined statement, and most of its time, per row)."""
    return ", ".join(row.format(i=i) for i in range(count))


def chunks(rows: Sequence[T], sizes: Sequence[int] = CHUNK_SIZES) -> Iterator[tuple[int, Sequence[T]]]:
    """``rows`` cut into pieces of the given sizes, largest first: (size, piece)."""
    start = 0
    for size in sizes:
        while len(rows) - start >= size:
            yield size, rows[start : start + size]
            start += size


def numbered(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The parameters of a :func:`repeated` statement: row ``i``'s ``name`` as ``name_i``."""
    return {f"{name}_{i}": value for i, row in enumerate(rows) for name, value in row.items()}
