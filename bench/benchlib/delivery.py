"""Webhook delivery by the standalone outbox worker (bench/webhooks.py, bench/profile.py).

Events are committed into the outbox of a fresh database while the worker (``studio-comms worker``,
pinned to its core) idles; the receiver (bench/receiver.py, pinned to the other core) notes each
arrival on the machine's monotonic clock, so rates are taken from the first to the last delivery.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import func, select

from benchlib.apps import clean_env, uvicorn_argv
from benchlib.postgres import Postgres
from benchlib.procs import CLK_TCK, BenchError, Server, cpu_ticks_of, free_port
from studio_comms.admin.onboarding import create_studio_with_offer
from studio_comms.db.database import Database, open_database
from studio_comms.db.migrate import upgrade
from studio_comms.outbox.models import OutboxItem
from studio_comms.outbox.service import EventType, enqueue
from studio_comms.studios.schemas import StudioCreate
from studio_comms.webhooks.models import WebhookDelivery
from studio_comms.webhooks.schemas import WebhookCreate
from studio_comms.webhooks.service import create as create_subscription

STUDIO_COMMS = Path(sys.executable).parent / "studio-comms"
CONCURRENCY = 8


@contextlib.contextmanager
def receiver(core: str, workdir: Path) -> Iterator[Server]:
    port = free_port()
    server = Server(
        "receiver",
        uvicorn_argv("receiver:app", port),
        port=port,
        env=clean_env(),
        cwd=workdir,
        core=core,
        ready_path="/stats",
    )
    try:
        server.start()
        yield server
    finally:
        server.stop()


def arrivals(receiver_url: str) -> dict[str, float]:
    return dict(httpx.get(receiver_url + "/stats").json())


@contextlib.contextmanager
def fresh_database(kind: str, pg: Postgres | None) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="sc-hooks-") as directory:
            url = f"sqlite:///{directory}/bench.db"
            upgrade(url)
            yield url
        return
    assert pg is not None
    with pg.database() as (_name, url):
        upgrade(url)
        yield url


def subscribe(db: Database, receiver_url: str, subscriptions: int) -> int:
    """A studio with ``subscriptions`` subscriptions to the receiver; its id."""
    now = datetime.now(UTC)
    with db.transaction() as tx:
        studio = create_studio_with_offer(tx, StudioCreate(name="Bench"), now=now).studioId
        for number in range(subscriptions):
            create_subscription(tx, studio, WebhookCreate(url=f"{receiver_url}/hooks/{number}"), now=now)
    return studio


def enqueue_events(db: Database, studio: int, events: int) -> None:
    """``events`` events committed in one transaction, as that many preference updates write them."""
    with db.transaction() as tx:
        for number in range(events):
            enqueue(
                tx,
                studio_id=studio,
                event_type=EventType.CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED,
                entity_id=number + 1,
                now=datetime.now(UTC),
            )


def worker_env(db_url: str) -> dict[str, str]:
    return {
        **clean_env(),
        "STUDIO_COMMS_DATABASE_URL": db_url,
        "STUDIO_COMMS_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
        "STUDIO_COMMS_WORKER_CONCURRENCY": str(CONCURRENCY),
    }


@contextlib.contextmanager
def workers(db_url: str, count: int, cpus: str) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` standalone workers (taskset execs them: the pids are the workers'), idle when
    yielded: each has logged that it started (on a busy machine starting can take seconds, which
    must not count as delivery time or CPU)."""
    with tempfile.TemporaryDirectory(prefix="sc-workers-") as directory:
        logs = [Path(directory) / f"worker-{number}.log" for number in range(count)]
        processes = []
        for log_path in logs:
            with log_path.open("wb") as output:
                processes.append(subprocess.Popen(
                    ["taskset", "-c", cpus, str(STUDIO_COMMS), "worker"], env=worker_env(db_url),
                    stdout=output, stderr=subprocess.STDOUT,
                ))  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while not all("started" in log_path.read_text(errors="replace") for log_path in logs):
                if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                    raise BenchError("a worker did not start: " + logs[0].read_text(errors="replace")[-2000:])
                time.sleep(0.05)
            time.sleep(0.5)  # idle
            yield processes
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(30)


def wait_drained(db: Database, timeout: float = 600) -> None:
    started = time.monotonic()
    while True:
        with db.engine.connect() as connection:
            if connection.scalar(select(func.count()).where(OutboxItem.completed_at.is_(None))) == 0:
                return
        if time.monotonic() - started > timeout:
            raise BenchError(f"outbox not drained within {timeout:.0f} s")
        time.sleep(0.05)


def succeeded(db: Database) -> int:
    with db.engine.connect() as connection:
        query = select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.state == "SUCCEEDED")
        return int(connection.scalar(query) or 0)


@dataclass
class Drain:
    events: int
    first_to_last_per_s: float  # (events - 1) ÷ (last arrival - first arrival)
    commit_to_done_per_s: float  # events ÷ (commit of the events → outbox empty)
    cpu_ms_per_event: float  # the workers' utime+stime from the commit to the empty outbox ÷ events


def drain(db_url: str, receiver_url: str, *, events: int, workers_count: int = 1, cpus: str = "0") -> Drain:
    """``events`` queued events to one subscription, delivered by the workers."""
    with open_database(db_url) as db:
        studio = subscribe(db, receiver_url, 1)
        with workers(db_url, workers_count, cpus) as processes:
            httpx.delete(receiver_url + "/stats")
            cpu_before = sum(cpu_ticks_of(p.pid) for p in processes)
            started = time.monotonic()
            enqueue_events(db, studio, events)
            wait_drained(db)
            elapsed = time.monotonic() - started
            cpu = (sum(cpu_ticks_of(p.pid) for p in processes) - cpu_before) / CLK_TCK
        seen = arrivals(receiver_url)
        if succeeded(db) != events or seen["count"] != events:
            raise BenchError(f"{succeeded(db)} deliveries succeeded, {seen['count']} arrived, of {events}")
    return Drain(events, (events - 1) / (seen["last"] - seen["first"]), events / elapsed, cpu * 1000 / events)


def fan_out(db_url: str, receiver_url: str, *, subscriptions: int = 50, cpus: str = "0") -> float:
    """Seconds from the start of the commit of one event to the arrival of its last delivery."""
    with open_database(db_url) as db:
        studio = subscribe(db, receiver_url, subscriptions)
        with workers(db_url, 1, cpus):
            httpx.delete(receiver_url + "/stats")
            started = time.monotonic()
            enqueue_events(db, studio, 1)
            wait_drained(db, timeout=120)
        seen = arrivals(receiver_url)
        if succeeded(db) != subscriptions or seen["count"] != subscriptions:
            raise BenchError(f"fan-out: {seen['count']} of {subscriptions} deliveries arrived")
    return float(seen["last"]) - started
