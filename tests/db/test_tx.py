"""Plain SQL through ``Tx``: one statement text for both drivers, values that round-trip the same
way on both databases, driver errors in three kinds, pooled connections that come back clean."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import orjson
import pytest
from sqlalchemy import Engine

from studio_comms.db import errors
from studio_comms.db.database import Database
from studio_comms.db.sql import Sql
from tests.cleanup import purge_studios
from tests.conftest import FixedClock
from tests.factories import make_studio


@dataclass(slots=True)
class _Named:
    name: str
    created_at: datetime


_NAME = Sql("SELECT name, created_at FROM studios WHERE id = :id", row=_Named)


def test_named_placeholders_become_pyformat_for_psycopg_only() -> None:
    sql = Sql("SELECT a FROM t WHERE b = :b AND c LIKE 'x%' AND d = :d::text")
    assert sql.for_dialect("sqlite") == "SELECT a FROM t WHERE b = :b AND c LIKE 'x%' AND d = :d::text"
    assert sql.for_dialect("postgresql") == (
        "SELECT a FROM t WHERE b = %(b)s AND c LIKE 'x%%' AND d = %(d)s::text"
    )


def test_row_locks_are_left_out_for_sqlite_only() -> None:
    sql = Sql("SELECT id FROM outbox WHERE a = :a LIMIT 3 FOR UPDATE SKIP LOCKED")
    assert sql.for_dialect("sqlite") == "SELECT id FROM outbox WHERE a = :a LIMIT 3"
    assert sql.for_dialect("postgresql").endswith("LIMIT 3 FOR UPDATE SKIP LOCKED")


def test_a_statement_sees_the_transactions_uncommitted_rows(db: Database, clock: FixedClock) -> None:
    with db.transaction() as tx:
        studio_id = make_studio(tx, now=clock.now, name="not yet committed")
        row = tx.row(_NAME, id=studio_id)
        assert row is not None
        assert row.name == "not yet committed"
        # Stored without offset on SQLite, as timestamptz on PostgreSQL: the same instant back.
        assert row.created_at == clock.now


def test_datetimes_in_other_offsets_are_stored_as_the_same_instant(db: Database, clock: FixedClock) -> None:
    berlin = clock.now.astimezone(timezone(timedelta(hours=1)))
    with db.transaction() as tx:
        studio_id = make_studio(tx, now=berlin, name="offset")
        row = tx.row(_NAME, id=studio_id)
        assert row is not None
        assert row.created_at == clock.now


def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="naive"), db.transaction() as tx:
        tx.run(Sql("UPDATE studios SET created_at = :now WHERE id = 0"), now=datetime(2026, 1, 1))


def test_json_values_round_trip(db: Database) -> None:
    with db.transaction() as tx:
        value = tx.scalar(Sql("SELECT CAST(:v AS TEXT)"), v={"a": [1, "b"]})
    assert orjson.loads(value) == {"a": [1, "b"]}


def test_a_constraint_violation_is_its_own_kind(db: Database, clock: FixedClock) -> None:
    with db.transaction() as tx:
        studio_id = make_studio(tx, now=clock.now)
    insert = Sql(
        "INSERT INTO studios (id, name, language, time_zone, created_at) VALUES (:id, 'x', 'de', 'UTC', :now)"
    )
    with pytest.raises(errors.ConstraintViolation), db.transaction() as tx:
        tx.run(insert, id=studio_id, now=clock.now)


def test_a_wrong_statement_stays_a_bug(db: Database) -> None:
    with pytest.raises(Exception, match="no_such_column") as raised, db.transaction() as tx:
        tx.run(Sql("SELECT no_such_column FROM studios"))
    assert not isinstance(raised.value, errors.DatabaseError)


def test_a_failed_unit_of_work_leaves_nothing(db: Database, clock: FixedClock) -> None:
    made: list[int] = []

    def fail_after_writing() -> None:
        with db.transaction() as tx:
            made.append(make_studio(tx, now=clock.now, name="rolled back"))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_after_writing()
    [studio_id] = made
    with db.read() as tx:
        assert tx.row(_NAME, id=studio_id) is None


def test_pooled_connections_read_committed_rows_and_come_back_clean(
    engine: Engine, clock: FixedClock
) -> None:
    database = Database(engine)
    with database.transaction() as tx:
        studio_id = make_studio(tx, now=clock.now, name="committed")
    try:
        for _ in range(3):
            with database.read() as tx:
                assert tx.row(_NAME, id=studio_id) == _Named("committed", clock.now)
        with database.transaction() as tx:
            assert tx.row(_NAME, id=studio_id) == _Named("committed", clock.now)
    finally:
        purge_studios(engine, [studio_id])
