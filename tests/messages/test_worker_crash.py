"""A worker killed mid-batch: every message still goes out, a resend carries the same Message-ID."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.factories import World
from tests.messages.conftest import APPOINTMENT
from tests.smtp_server import SmtpServer
from tests.webhooks.processes import WorkerProcess, open_items, start_worker, wait_until

# A worker process killed mid-batch, with deadlines: run alone (make test's serial part).
pytestmark = pytest.mark.serial

MESSAGES = 30


@pytest.fixture
def spawn(database_url: str, tmp_path: Path, smtp: SmtpServer) -> Iterator[Callable[[str], WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start(name: str) -> WorkerProcess:
        started.append(
            start_worker(
                database_url,
                tmp_path,
                name,
                smtp_url=smtp.url(),
                smtp_timeout_seconds="2",
                email_from="news@studio.example",
            )
        )
        return started[-1]

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.kill()


def test_a_worker_killed_mid_batch_sends_every_message(
    live: tuple[FastAPI, World], engine: Engine, smtp: SmtpServer, spawn: Callable[[str], WorkerProcess]
) -> None:
    app, world = live
    with TestClient(app, headers={"X-API-KEY": world.key_a}) as api:
        accepted = [
            api.post(f"/v1/communications/{1 + n % 3}/messages", json=APPOINTMENT).json()["messageId"]
            for n in range(MESSAGES)
        ]
        smtp.inbox.delay_seconds = 0.2  # the kill lands with messages in flight
        first = spawn("first")
        wait_until(lambda: len(smtp.arrived) >= 3, 30, "the first worker sends")
        first.kill()
        assert len(smtp.arrived) < MESSAGES, "killed too late to prove anything"
        smtp.inbox.delay_seconds = 0.0
        second = spawn("second")
        wait_until(lambda: open_items(engine, world.studio_a) == 0, 60, "every outbox item is finished")
        assert second.terminate() == 0
        reads = [api.get(f"/v1/messages/{message_id}").json() for message_id in accepted]
    assert [read["status"] for read in reads] == ["SENT"] * MESSAGES
    # Every message arrived under its own, stable Message-ID.
    arrived = Counter(a.mail["Message-ID"] for a in smtp.arrived)
    assert set(arrived) == {read["messageIdHeader"] for read in reads}
    # At least once: only what the killed worker had in flight (8 threads) may have arrived twice.
    assert sum(count - 1 for count in arrived.values()) <= 8
    # Each message was recorded SENT once, whatever arrived twice.
    assert all([c["status"] for c in read["statusHistory"]].count("SENT") == 1 for read in reads)
