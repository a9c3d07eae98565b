"""Commits that really fail: a deferred foreign key the database checks only at COMMIT.

``failing_commits(engine, table)`` makes every transaction that inserts into ``table`` fail when
it commits (each inserted row adds a row to ``commit_guard`` pointing at a studio that does not
exist; the constraint is deferred to the end of the transaction). Nothing is faked: the driver's
``commit()`` raises as it would for any constraint checked at commit time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

_SQLITE = (
    "CREATE TABLE commit_guard (ref INTEGER REFERENCES studios (id) DEFERRABLE INITIALLY DEFERRED)",
    "CREATE TRIGGER commit_guard_on_{table} AFTER INSERT ON {table} "
    "BEGIN INSERT INTO commit_guard VALUES (-1); END",
)
_SQLITE_UNDO = ("DROP TRIGGER commit_guard_on_{table}", "DROP TABLE commit_guard")
_POSTGRES = (
    "CREATE TABLE commit_guard (ref integer REFERENCES studios (id) DEFERRABLE INITIALLY DEFERRED)",
    "CREATE FUNCTION commit_guard_insert() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN INSERT INTO commit_guard VALUES (-1); RETURN NULL; END $$",
    "CREATE TRIGGER commit_guard_on_{table} AFTER INSERT ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION commit_guard_insert()",
)
_POSTGRES_UNDO = (
    "DROP TRIGGER commit_guard_on_{table} ON {table}",
    "DROP FUNCTION commit_guard_insert()",
    "DROP TABLE commit_guard",
)


def _run(engine: Engine, statements: tuple[str, ...], table: str) -> None:
    with engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement.format(table=table))


@contextmanager
def failing_commits(engine: Engine, table: str) -> Iterator[None]:
    sqlite = engine.dialect.name == "sqlite"
    _run(engine, _SQLITE if sqlite else _POSTGRES, table)
    try:
        yield
    finally:
        _run(engine, _SQLITE_UNDO if sqlite else _POSTGRES_UNDO, table)
