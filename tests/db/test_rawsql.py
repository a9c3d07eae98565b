"""The plain-SQL read path: one statement text for both drivers, inside the caller's transaction."""

from __future__ import annotations

from sqlalchemy import Engine

from studio_comms.db.rawsql import Sql, of_session
from studio_comms.db.session import Database
from studio_comms.studios.models import Studio
from tests.cleanup import purge_studios
from tests.conftest import FixedClock
from tests.factories import make_studio


def test_named_placeholders_become_pyformat_for_psycopg_only() -> None:
    sql = Sql("SELECT a FROM t WHERE b = :b AND c LIKE 'x%' AND d = :d::text")
    assert sql.for_dialect("sqlite") == "SELECT a FROM t WHERE b = :b AND c LIKE 'x%' AND d = :d::text"
    assert sql.for_dialect("postgresql") == (
        "SELECT a FROM t WHERE b = %(b)s AND c LIKE 'x%%' AND d = %(d)s::text"
    )


def test_plain_sql_sees_the_sessions_uncommitted_rows(db: Database, clock: FixedClock) -> None:
    with db.session() as session:
        studio_id = make_studio(session, now=clock.now, name="not yet committed")
        rows = of_session(session).rows(Sql("SELECT name FROM studios WHERE id = :id"), id=studio_id)
        assert rows == [("not yet committed",)]
        session.rollback()


def test_read_only_connections_read_committed_rows(engine: Engine, clock: FixedClock) -> None:
    database = Database(engine)
    with database.transaction() as session:
        studio_id = make_studio(session, now=clock.now, name="committed for read_only")
    try:
        for _ in range(3):  # the pooled connection comes back clean each time
            with database.read_only() as connection:
                rows = connection.rows(Sql("SELECT name FROM studios WHERE id = :id"), id=studio_id)
                assert rows == [("committed for read_only",)]
    finally:
        purge_studios(engine, [studio_id])


def test_plain_sql_sees_pending_orm_changes_too(db: Database, clock: FixedClock) -> None:
    with db.session() as session:
        studio_id = make_studio(session, now=clock.now, name="before")
        studio = session.get(Studio, studio_id)
        assert studio is not None
        studio.name = "pending, not flushed"
        rows = of_session(session).rows(Sql("SELECT name FROM studios WHERE id = :id"), id=studio_id)
        assert rows == [("pending, not flushed",)]
        session.rollback()
