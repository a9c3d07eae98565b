"""Only entry points commit; a failed commit is an error response and stores nothing; each test
starts on an empty database."""

from __future__ import annotations

import ast
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from studio_comms.db.database import Database, open_database
from studio_comms.studios.models import Studio
from tests.commitfail import failing_commits
from tests.conftest import FixedClock
from tests.databases import fresh_database
from tests.dbtools import orm
from tests.factories import make_studio

SRC = Path(__file__).resolve().parent.parent / "src" / "studio_comms"
# Entry points open their transaction with Database.transaction, which alone ends it.
ALLOWED = {SRC / "db" / "database.py"}
FORBIDDEN_CALLS = {"commit", "rollback", "begin"}


def test_only_entry_points_commit_roll_back_or_begin() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        if path in ALLOWED or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in FORBIDDEN_CALLS
            ):
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno} .{node.func.attr}()")
    assert offenders == []


PREFS = "/v1/communications/1/communication-preferences"
OPT_IN = [{"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}]


@pytest.mark.parametrize("on_loop", [True, False], ids=["quick-unit", "unit-on-a-thread"])
def test_a_failing_commit_answers_an_error_and_stores_nothing(
    api: TestClient, db: Database, engine: Engine, on_loop: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The production unit of work meets a real failure at COMMIT (a deferred constraint): the
    answer is an error, never a 200, and the write is gone; the next write works (the failed
    transaction was rolled back, not left open on the connection)."""
    if not on_loop:
        monkeypatch.setattr(db, "runs_on_loop", False)  # as on PostgreSQL: units on threads
    with failing_commits(engine, "consent_ledger"):
        failed = api.put(PREFS, json=OPT_IN, headers={"Idempotency-Key": "commit-fails"})
        assert failed.status_code == 409, failed.text
        assert failed.json()["errorCode"] == "CONCURRENT_MODIFICATION"
        assert api.get(PREFS + "/history").json()["result"] == []
    retried = api.put(PREFS, json=OPT_IN, headers={"Idempotency-Key": "commit-fails"})
    assert retried.status_code == 200, retried.text
    assert "Idempotent-Replayed" not in retried.headers  # nothing was stored for the key either
    assert len(api.get(PREFS + "/history").json()["result"]) == 1


def test_a_refused_quick_write_is_rolled_back_and_the_next_write_works(api: TestClient) -> None:
    """A write refused half-way (its statements ran, then the service raised) leaves nothing
    behind: on SQLite's loop connection an unfinished transaction would make every later write
    fail ("cannot start a transaction within a transaction")."""
    for _ in range(3):
        refused = api.put(PREFS, json=OPT_IN * 2)  # a duplicate category: 400 after the reads
        assert refused.status_code == 400, refused.text
        assert api.put(PREFS, json=OPT_IN).status_code == 200
    assert len(api.get(PREFS + "/history").json()["result"]) == 1


def test_each_test_starts_on_an_empty_database(
    migrated_database: str, tmp_path: Path, clock: FixedClock
) -> None:
    """The fixtures' life cycle, in one test (so it does not depend on test order): rows one
    test commits are gone from the database the next test gets."""
    marker = f"committed-{uuid.uuid4().hex}"
    first = fresh_database(migrated_database, tmp_path / "first")
    with open_database(first) as database, database.transaction() as tx:
        make_studio(tx, now=clock.now, name=marker)
    with open_database(first) as database, orm(database) as session:
        assert session.scalars(select(Studio).where(Studio.name == marker)).first() is not None
    second = fresh_database(migrated_database, tmp_path / "second")
    with open_database(second) as database, orm(database) as session:
        assert session.scalars(select(Studio)).first() is None
