"""Rows made by their statement's row class (``db.rows``): every value converted by its field's
type the same way on both databases, NULL kept, no positions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from studio_comms.db.database import Database
from studio_comms.db.sql import Sql
from studio_comms.studios.schemas import ConsentEnforcement
from tests.conftest import FixedClock
from tests.factories import make_studio


@dataclass(slots=True)
class StudioValues:
    created_at: datetime
    consent_enforcement: ConsentEnforcement
    consent_enforcement_chosen: bool
    opening_date: date | None
    tags: list[str] | None
    latitude: float | None


_READ = Sql(
    """
    SELECT created_at, consent_enforcement, consent_enforcement_chosen, opening_date, tags, latitude
    FROM studios WHERE id = :id
    """,
    row=StudioValues,
)
_SET = Sql(
    """
    UPDATE studios SET created_at = :created_at, consent_enforcement_chosen = :chosen,
      opening_date = :opening_date, tags = :tags, latitude = :latitude
    WHERE id = :id
    """
)


@dataclass(slots=True)
class Changeable:
    name: str
    created_at: datetime


_CHANGEABLE = Sql("SELECT name, created_at FROM studios WHERE id = :id", row=Changeable)


@dataclass(slots=True)
class Swapped:
    created_at: datetime
    name: str


_SWAPPED = Sql("SELECT name, created_at FROM studios WHERE id = :id", row=Swapped)


def _studio(db: Database, clock: FixedClock) -> int:
    with db.transaction() as tx:
        return make_studio(tx, now=clock.now)


def test_each_value_comes_back_as_its_fields_type(db: Database, clock: FixedClock) -> None:
    studio_id = _studio(db, clock)
    berlin = clock.now.astimezone(timezone(timedelta(hours=1)))
    with db.transaction() as tx:
        tx.run(
            _SET, id=studio_id, created_at=berlin, chosen=True, opening_date="2026-03-01", tags=["a", "b"],
            latitude=52.5,
        )  # fmt: skip
        row = tx.row(_READ, id=studio_id)
    assert row is not None
    # The same instant, aware, in UTC itself (SQLite stores text, PostgreSQL sessions speak UTC).
    assert row.created_at == clock.now
    assert row.created_at.tzinfo is UTC
    assert row.consent_enforcement is ConsentEnforcement.RECORD
    assert row.consent_enforcement_chosen is True
    assert row.opening_date == date(2026, 3, 1)
    assert type(row.opening_date) is date
    assert row.tags == ["a", "b"]
    assert row.latitude == 52.5


def test_null_stays_none_whatever_the_fields_type(db: Database, clock: FixedClock) -> None:
    studio_id = _studio(db, clock)
    with db.transaction() as tx:
        tx.run(
            _SET,
            id=studio_id,
            created_at=clock.now,
            chosen=False,
            opening_date=None,
            tags=None,
            latitude=None,
        )
        row = tx.row(_READ, id=studio_id)
    assert row is not None
    assert (row.opening_date, row.tags, row.latitude) == (None, None, None)
    assert row.consent_enforcement_chosen is False


def test_a_row_has_no_positions(db: Database, clock: FixedClock) -> None:
    studio_id = _studio(db, clock)
    with db.read() as tx:
        row = tx.row(_READ, id=studio_id)
    assert row is not None
    with pytest.raises(TypeError, match="not subscriptable"):
        row[0]  # type: ignore[index]
    with pytest.raises(TypeError, match="cannot unpack"):
        _created_at, *_ = row  # type: ignore[misc]
    assert "consent_enforcement_chosen=False" in repr(row)


def test_a_dataclass_row_can_be_changed(db: Database, clock: FixedClock) -> None:
    studio_id = _studio(db, clock)
    with db.read() as tx:
        row = tx.row(_CHANGEABLE, id=studio_id)
    assert row == Changeable("Studio", clock.now)
    row.name = "renamed"
    assert row.name == "renamed"


def test_columns_that_disagree_with_the_row_class_are_refused(db: Database, clock: FixedClock) -> None:
    studio_id = _studio(db, clock)
    with pytest.raises(TypeError, match=r"name the columns as the fields \(AS …\)"), db.read() as tx:
        tx.row(_SWAPPED, id=studio_id)


def test_a_statement_without_a_row_class_gives_one_column_or_nothing(db: Database, clock: FixedClock) -> None:
    studio_id = _studio(db, clock)
    two_columns = Sql("SELECT name, created_at FROM studios WHERE id = :id")
    with db.read() as tx:
        with pytest.raises(TypeError, match="declare the row class"):
            tx.rows(two_columns, id=studio_id)  # type: ignore[type-var]
        with pytest.raises(ValueError, match="too many values"):
            tx.scalar(two_columns, id=studio_id)
        assert tx.scalar(Sql("SELECT name FROM studios WHERE id = :id"), id=studio_id) == "Studio"
        assert tx.scalar(Sql("SELECT name FROM studios WHERE id = :id"), id=-1) is None


def test_a_row_class_is_a_slotted_dataclass_that_is_not_frozen() -> None:
    class Plain:
        name: str

    @dataclass
    class Unslotted:
        name: str

    @dataclass(slots=True, frozen=True)
    class Frozen:
        name: str

    for row_class in (Plain, Unslotted, Frozen):
        with pytest.raises(TypeError, match=r"row class is a @dataclass\(slots=True\), not frozen"):
            Sql("SELECT name FROM studios", row=row_class)
