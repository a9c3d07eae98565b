"""Only entry points commit; a failed commit is an error response; each test's rows vanish."""

from __future__ import annotations

import ast
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from studio_comms.db.database import ConnectionBoundDatabase, Database
from studio_comms.studios.models import Studio
from tests.conftest import FixedClock
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


def test_a_failing_commit_answers_an_error_and_stores_nothing(
    api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = "/v1/communications/1/communication-preferences"
    body = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}
    ]

    def failing_commit(self: ConnectionBoundDatabase, driver: object, name: str) -> None:
        raise RuntimeError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(ConnectionBoundDatabase, "_release", failing_commit)
        response = api.put(path, json=body)
    assert response.status_code == 500
    assert response.json()["errorCode"] == "INTERNAL_ERROR"
    assert api.get(path + "/history").json()["result"] == []


def test_rows_committed_inside_a_test_are_gone_after_it(engine: Engine, clock: FixedClock) -> None:
    """The fixtures' life cycle, run here in one test (so it does not depend on test order): the
    app's commits are savepoints in the test's transaction, which the fixture rolls back."""
    marker = f"rolled-back-{uuid.uuid4().hex}"
    with engine.connect() as connection:
        outer = connection.begin()
        db = ConnectionBoundDatabase(connection)
        with db.transaction() as tx:
            make_studio(tx, now=clock.now, name=marker)
        with orm(db) as session:
            assert session.scalars(select(Studio).where(Studio.name == marker)).first() is not None
        outer.rollback()
    with orm(Database(engine)) as session:
        assert session.scalars(select(Studio).where(Studio.name == marker)).first() is None
