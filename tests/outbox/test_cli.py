"""``studio-comms outbox stats`` and ``retry-dead`` on committed rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from studio_comms.background import build_worker
from studio_comms.cli import app as cli
from studio_comms.db.database import Database
from studio_comms.outbox.models import OutboxItem
from studio_comms.settings import Settings
from tests.conftest import FixedClock
from tests.dbtools import orm
from tests.factories import World
from tests.webhooks.processes import enqueue_committed, subscribe_committed


def _row(output: str, kind: str) -> list[str]:
    [line] = [line for line in output.splitlines() if f" {kind} " in line]
    return [cell.strip() for cell in line.split("│")[1:6]]


def _done_event_and_dead_delivery(engine: Engine, studio_id: int, settings: Settings) -> None:
    """One committed event, fanned out to a receiver that is down; no retries, so it is dead."""
    subscribe_committed(engine, studio_id, "http://127.0.0.1:9/down")
    enqueue_committed(engine, studio_id, 1)
    no_retries = settings.model_copy(update={"webhook_retry_schedule": ()})
    worker = build_worker(no_retries, Database(engine), listen=False)
    try:
        assert worker.drain() == 2
    finally:
        worker.close()


def test_stats_show_dead_items_and_retry_dead_revives_them(
    live: tuple[FastAPI, World],
    engine: Engine,
    database_url: str,
    settings: Settings,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, world = live
    _done_event_and_dead_delivery(engine, world.studio_a, settings)
    monkeypatch.setenv("STUDIO_COMMS_DATABASE_URL", database_url)
    runner = CliRunner()

    stats = runner.invoke(cli, ["outbox", "stats"], terminal_width=200)
    assert stats.exit_code == 0, stats.output
    assert _row(stats.output, "webhook") == ["webhook", "0", "0", "1", "0"]
    assert _row(stats.output, "event") == ["event", "0", "0", "0", "1"]

    revived = runner.invoke(cli, ["outbox", "retry-dead", "--kind", "webhook"])
    assert revived.exit_code == 0, revived.output
    assert "1 dead items are due again." in revived.output
    assert _row(runner.invoke(cli, ["outbox", "stats"], terminal_width=200).output, "webhook") == [
        "webhook", "1", "0", "0", "0",
    ]  # fmt: skip
    assert "0 dead items" in runner.invoke(cli, ["outbox", "retry-dead"]).output


def test_purge_deletes_only_items_finished_long_enough_ago(
    live: tuple[FastAPI, World],
    engine: Engine,
    database_url: str,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, world = live
    _done_event_and_dead_delivery(engine, world.studio_a, settings)
    with orm(Database(engine)) as session:
        eight_days_ago = datetime.now(UTC) - timedelta(days=8)
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.studio_id == world.studio_a)
            .values(completed_at=eight_days_ago)
        )
        session.commit()
    enqueue_committed(engine, world.studio_a, 1)  # still pending: never purged
    monkeypatch.setenv("STUDIO_COMMS_DATABASE_URL", database_url)

    result = CliRunner().invoke(cli, ["outbox", "purge", "--older-than-days", "7"])
    assert result.exit_code == 0, result.output
    assert "1 finished items deleted." in result.output
    with orm(Database(engine)) as session:
        left = session.execute(
            select(OutboxItem.kind, OutboxItem.dead_at.is_not(None)).where(
                OutboxItem.studio_id == world.studio_a
            )
        ).all()
    assert sorted(left) == [("event", False), ("webhook", True)]  # the pending event, the dead delivery
