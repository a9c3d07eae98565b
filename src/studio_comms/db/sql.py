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
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

_NAMED = re.compile(r"(?<!:):(\w+)")
_ROW_LOCK = re.compile(r"\s+FOR\s+UPDATE(\s+SKIP\s+LOCKED)?\b", re.IGNORECASE)
_ANY = re.compile(r"=\s*ANY\(:(\w+)\)", re.IGNORECASE)
_SQLITE_LIST = r"IN (SELECT value FROM json_each(:\1))"
_POSTGRES_LIST = r"IN (SELECT CAST(value AS BIGINT) FROM jsonb_array_elements_text(CAST(:\1 AS jsonb)))"

# Every statement defined so far, in definition order (the architecture tests read it).
REGISTRY: list[Sql] = []


class Sql:
    """A statement with ``:name`` placeholders, rendered once for each driver."""

    __slots__ = ("_postgres", "_sqlite", "cross_studio", "module", "text")

    def __init__(self, text: str, *, cross_studio: str | None = None) -> None:
        self.text = " ".join(text.split())
        # Why this statement may touch several studios' rows (None: it must be scoped to one).
        self.cross_studio = cross_studio
        self.module: str = sys._getframe(1).f_globals.get("__name__", "?")
        # sqlite3 takes :name as written; psycopg takes %(name)s (and a literal % doubled).
        self._sqlite = _ANY.sub(_SQLITE_LIST, _ROW_LOCK.sub("", self.text))
        self._postgres = _NAMED.sub(r"%(\1)s", _ANY.sub(_POSTGRES_LIST, self.text).replace("%", "%%"))
        REGISTRY.append(self)

    def for_dialect(self, dialect: str) -> str:
        return self._sqlite if dialect == "sqlite" else self._postgres

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
