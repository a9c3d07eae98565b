"""Never twice because of us, across processes and a real SMTP server on loopback: a slow server
causes no duplicate; a worker killed mid-bulk resends at most what it had claimed and not yet
recorded, which is at most its threads (``worker_concurrency``); a resend carries the same
Message-ID."""

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
from tests.webhooks.processes import WorkerProcess, open_items, start_worker, wait_started, wait_until

# Worker processes, a kill, deadlines: run alone (make test's serial part).
pytestmark = pytest.mark.serial

CONCURRENCY = 8
# start_worker's lease (3 s), and each message's time at the server scaled with it: issue 22
# measured 1.2 s per message against the default 30 s lease (25 sends per lease); 0.12 s against
# 3 s keeps that ratio and 400 messages take ~6 s instead of 60 s.
LEASE_SECONDS = 3.0
SLOW_SECONDS = LEASE_SECONDS / 25


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
                worker_lease_seconds=str(int(LEASE_SECONDS)),
                worker_concurrency=str(CONCURRENCY),
            )
        )
        return started[-1]

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.kill()


def _accept(api: TestClient, count: int) -> list[int]:
    accepted = []
    for n in range(count):
        response = api.post(f"/v1/communications/{1 + n % 3}/messages", json=APPOINTMENT)
        assert response.status_code == 202, response.text
        accepted.append(response.json()["messageId"])
    return accepted


def _duplicates(smtp: SmtpServer) -> int:
    return sum(count - 1 for count in Counter(a.mail["Message-ID"] for a in smtp.arrived).values())


def _all_sent_once(api: TestClient, accepted: list[int], smtp: SmtpServer) -> None:
    reads = [api.get(f"/v1/messages/{message_id}").json() for message_id in accepted]
    assert [read["status"] for read in reads] == ["SENT"] * len(accepted)
    # Every message arrived under its own, stable Message-ID ...
    assert {a.mail["Message-ID"] for a in smtp.arrived} == {read["messageIdHeader"] for read in reads}
    # ... and was recorded SENT once, whatever arrived twice.
    assert all([c["status"] for c in read["statusHistory"]].count("SENT") == 1 for read in reads)


def test_a_slow_smtp_server_gets_each_message_once(
    live: tuple[FastAPI, World], engine: Engine, smtp: SmtpServer, spawn: Callable[[str], WorkerProcess]
) -> None:
    """Issue 22: 407 deliveries for 400 messages. The worker claimed 256 items and sent 8 at a
    time, so the last claims expired while they waited and the same worker sent them again."""
    app, world = live
    with TestClient(app, headers={"X-API-KEY": world.key_a}) as api:
        smtp.inbox.delay_seconds = SLOW_SECONDS
        accepted = _accept(api, 400)
        worker = spawn("slow")
        wait_started(worker)
        wait_until(
            lambda: open_items(engine, world.studio_a) == 0, 240, "every item finished", workers=[worker]
        )
        assert worker.terminate() == 0
        duplicates = _duplicates(smtp)
        print(f"slow SMTP: {len(smtp.arrived)} deliveries for {len(accepted)} messages, {duplicates} twice")
        assert duplicates == 0
        assert len(smtp.arrived) == len(accepted)
        _all_sent_once(api, accepted, smtp)


@pytest.mark.parametrize(
    ("delay", "count"), [(SLOW_SECONDS, 400), (0.01, 200)], ids=["slow-server", "fast-server"]
)
def test_a_worker_killed_mid_bulk_resends_at_most_its_threads(
    live: tuple[FastAPI, World],
    engine: Engine,
    smtp: SmtpServer,
    spawn: Callable[[str], WorkerProcess],
    delay: float,
    count: int,
) -> None:
    """A send is recorded before the next one takes its thread's place, so what a killed worker
    sent without recording is at most what its threads held. Issue 22 measured 20 (SQLite) and 64
    (PostgreSQL) duplicates; this test once saw 9 of 8: a thread went on to the next claimed item
    as soon as its send ended, while that send still waited for the database thread to record it."""
    app, world = live
    with TestClient(app, headers={"X-API-KEY": world.key_a}) as api:
        accepted = _accept(api, count)
        smtp.inbox.delay_seconds = delay
        first = spawn("first")
        wait_started(first)
        wait_until(lambda: len(smtp.arrived) >= count // 4, 60, "the first worker sends", workers=[first])
        first.kill()  # mid-bulk, with sends in flight and sends not yet recorded
        assert len(smtp.arrived) < count, "killed too late to prove anything"
        second = spawn("second")
        wait_until(
            lambda: open_items(engine, world.studio_a) == 0, 180, "every item finished", workers=[second]
        )
        assert second.terminate() == 0
        duplicates = _duplicates(smtp)
        print(f"killed mid-bulk ({delay} s per message): {duplicates} sent twice of {count}")
        assert duplicates <= CONCURRENCY
        _all_sent_once(api, accepted, smtp)
