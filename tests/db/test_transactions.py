"""Only entry points commit; a failed commit is an error response; each test's rows vanish."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

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


MARKER = "rolled-back-marker-studio"


def test_rows_committed_in_a_test_exist_during_it(db: Database, clock: FixedClock) -> None:
    with db.transaction() as session:
        make_studio(session, now=clock.now, name=MARKER)
    with orm(db) as session:
        assert session.scalars(select(Studio).where(Studio.name == MARKER)).first() is not None


def test_rows_committed_in_the_previous_test_are_gone(db: Database) -> None:
    with orm(db) as session:
        assert session.scalars(select(Studio).where(Studio.name == MARKER)).first() is None
