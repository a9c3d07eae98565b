"""The outbox's lag is visible: ``outbox stats``, a worker warning past a threshold, ``/readyz?verbose``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from studio_comms.background import build_worker
from studio_comms.cli import app as cli
from studio_comms.db.database import Database
from studio_comms.outbox.service import EventType, enqueue
from studio_comms.settings import Settings
from tests.conftest import FixedClock
from tests.factories import World


def _due_since(database: Database, studio_id: int, clock: FixedClock, seconds: float, count: int = 1) -> None:
    with database.transaction() as session:
        for number in range(count):
            enqueue(
                session,
                studio_id=studio_id,
                event_type=EventType.CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED,
                entity_id=number + 1,
                now=clock.now - timedelta(seconds=seconds),
            )


def test_a_worker_warns_while_the_oldest_due_item_waits_past_the_threshold(
    db: Database, world: World, settings: Settings, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="studio_comms.worker")
    worker = build_worker(
        settings.model_copy(update={"outbox_lag_warning_seconds": 60}), db, clock=clock, listen=False
    )
    try:
        _due_since(db, world.studio_a, clock, seconds=30)
        worker.warn_if_lagging()
        assert "outbox lag" not in caplog.text
        _due_since(db, world.studio_a, clock, seconds=125, count=2)
        worker.warn_if_lagging()
        [warning] = [r.getMessage() for r in caplog.records if "outbox lag" in r.getMessage()]
        assert "3 items due, the oldest waiting 125 s (warning above 60 s)" in warning
        assert "standalone workers" in warning
        worker.drain()
        caplog.clear()
        worker.warn_if_lagging()
        assert "outbox lag" not in caplog.text
    finally:
        worker.close()


def test_readyz_verbose_shows_the_outbox_lag(
    live: tuple[FastAPI, World], engine: Engine, clock: FixedClock
) -> None:
    app, world = live
    _due_since(Database(engine), world.studio_a, clock, seconds=90)
    with TestClient(app) as client:
        assert client.get("/readyz").json() == {"status": "ok"}
        verbose = client.get("/readyz?verbose").json()
    assert verbose["status"] == "ok"
    outbox = verbose["outbox"]
    assert outbox["due"] >= 1
    assert outbox["oldestDueSeconds"] >= 90
    assert outbox["lagging"] is True


def test_outbox_stats_show_how_long_the_oldest_due_item_waits(
    live: tuple[FastAPI, World],
    engine: Engine,
    database_url: str,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, world = live
    # Committed with the real clock: `outbox stats` measures against the real now.
    real = FixedClock()
    real.now = datetime.now(UTC)
    _due_since(Database(engine), world.studio_a, real, seconds=300)
    monkeypatch.setenv("STUDIO_COMMS_DATABASE_URL", database_url)
    result = CliRunner().invoke(cli, ["outbox", "stats"], terminal_width=200)
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.output.splitlines() if " event " in line]
    oldest = float(line.split("│")[6].strip())
    assert 300 <= oldest < 400
