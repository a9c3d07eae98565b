#!/usr/bin/env python3
"""Webhook delivery throughput of the outbox worker against its ceiling (``make bench``).

For each configuration (SQLite with 1 worker, PostgreSQL with 1 and with 2 workers) and each run:

1. a fresh database (migrated), one studio, one subscription to a local receiver: bench/bare_asgi.py
   under uvicorn, pinned to the receiver core, answering 200 to every POST;
2. the ``studio-comms worker`` processes start, pinned to the worker core, and go idle;
3. N events are committed in one transaction (as N preference updates would write them); the clock
   runs from that commit until every outbox item (N fan-outs, N deliveries) is finished.
   events/s = N / elapsed. Every delivery must have succeeded, else the run fails.

The ceiling, measured in the same run on the same core: the worker's own sender (pinned IP, signed
Standard Webhooks headers, same concurrency) posting N envelopes to the same receiver with no
database at all. ratio = events/s ÷ ceiling posts/s: the share of the delivery path the outbox keeps.
Medians over --runs go to stdout and docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from studio_comms.admin.onboarding import create_studio_with_offer
from studio_comms.db.database import Database
from studio_comms.db.engine import make_engine
from studio_comms.db.migrate import upgrade
from studio_comms.outbox.models import OutboxItem
from studio_comms.outbox.service import EventType, enqueue
from studio_comms.studios.schemas import StudioCreate
from studio_comms.webhooks import signing
from studio_comms.webhooks.models import WebhookDelivery
from studio_comms.webhooks.schemas import WebhookCreate
from studio_comms.webhooks.sender import Sender
from studio_comms.webhooks.service import create as create_subscription

BENCH_DIR = Path(__file__).resolve().parent
DOCS = BENCH_DIR.parent / "docs" / "benchmarks.md"
STUDIO_COMMS = Path(sys.executable).parent / "studio-comms"
CONCURRENCY = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def receiver(core: str) -> Any:
    port = free_port()
    process = subprocess.Popen(
        ["taskset", "-c", core, sys.executable, "-m", "uvicorn", "bare_asgi:app", "--port", str(port),
         "--no-access-log", "--log-level", "warning"],
        cwd=BENCH_DIR,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/hooks"
    try:
        for _ in range(100):
            try:
                httpx.post(url, content=b"{}")
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


@contextmanager
def database(kind: str) -> Any:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite:///{directory}/bench.db"
            upgrade(url)
            yield url
        return
    name = f"sc_bench_{secrets.token_hex(4)}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def ceiling(url: str, events: int) -> float:
    """Posts/s of the sender alone: what delivery would cost with a free database."""
    sender = Sender(timeout=5, allow_private=True)
    secret = signing.new_signing_secret()

    def post(number: int) -> None:
        event_uuid = str(uuid.uuid4())
        body = signing.envelope(
            entity_id=number, event_uuid=event_uuid, event_type="CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED",
            occurred_at=datetime.now(UTC), content=None,
        )  # fmt: skip
        headers = signing.headers(
            api_key="k", signing_secret=secret, event_uuid=event_uuid, body=body, sent_at=datetime.now(UTC)
        )
        attempt = sender.post(url, body, headers)
        if not attempt.succeeded:
            raise RuntimeError(attempt.error)

    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(post, range(events)))
    elapsed = time.perf_counter() - started
    sender.close()
    return events / elapsed


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (taskset execs the worker, so its pid is the worker's)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def delivered_per_second(
    db_url: str, receiver_url: str, workers: int, events: int, core: str
) -> tuple[float, float]:
    """Events per second, and the workers' CPU milliseconds per event."""
    engine = make_engine(db_url)
    db = Database(engine)
    now = datetime.now(UTC)
    with db.transaction() as tx:
        studio = create_studio_with_offer(tx, StudioCreate(name="Bench"), now=now).studioId
        create_subscription(tx, studio, WebhookCreate(url=receiver_url), now=now)
    env = {
        **os.environ,
        "STUDIO_COMMS_DATABASE_URL": db_url,
        "STUDIO_COMMS_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
        "STUDIO_COMMS_WORKER_CONCURRENCY": str(CONCURRENCY),
    }
    processes = [
        subprocess.Popen(["taskset", "-c", core, str(STUDIO_COMMS), "worker"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(workers)
    ]  # fmt: skip
    try:
        time.sleep(3)  # started and idle
        cpu_before = sum(cpu_seconds(process.pid) for process in processes)
        with db.transaction() as tx:
            for number in range(events):
                enqueue(
                    tx,
                    studio_id=studio,
                    event_type=EventType.CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED,
                    entity_id=number + 1,
                    now=datetime.now(UTC),
                )
        started = time.perf_counter()
        while True:
            with Session(db.engine) as session:
                left = session.scalar(select(func.count()).where(OutboxItem.completed_at.is_(None)))
            if left == 0:
                break
            if time.perf_counter() - started > 600:
                raise RuntimeError("not delivered within 600 s")
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        cpu = sum(cpu_seconds(process.pid) for process in processes) - cpu_before
        with Session(db.engine) as session:
            succeeded = session.scalar(
                select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.state == "SUCCEEDED")
            )
        if succeeded != events:
            raise RuntimeError(f"{succeeded} of {events} deliveries succeeded")
        return events / elapsed, cpu * 1000 / events
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--worker-cpu", default="0")
    parser.add_argument("--receiver-cpu", default="1")
    parser.add_argument("--no-docs", action="store_true", help="do not append to docs/benchmarks.md")
    args = parser.parse_args()

    # (database, workers, pinned): the last row lets two workers use both cores (sharing them
    # with the receiver and PostgreSQL), since two workers pinned to one core cannot scale.
    configs = [("sqlite", 1, True), ("postgres", 1, True), ("postgres", 2, True), ("postgres", 2, False)]
    results: dict[tuple[str, int, bool], list[tuple[float, float, float]]] = {
        config: [] for config in configs
    }
    with receiver(args.receiver_cpu) as url:
        for run in range(1, args.runs + 1):
            for kind, workers, pinned in configs:
                cpus = args.worker_cpu if pinned else f"{args.worker_cpu},{args.receiver_cpu}"
                with database(kind) as db_url:
                    rate, cpu_ms = delivered_per_second(db_url, url, workers, args.events, cpus)
                top = ceiling(url, args.events)
                results[(kind, workers, pinned)].append((rate, top, cpu_ms))
                print(
                    f"run {run}: {kind} x{workers} on CPU {cpus}: {rate:.0f} events/s ({cpu_ms:.1f} ms CPU), "
                    f"ceiling {top:.0f} posts/s"
                )

    lines = [
        f"\n## Webhook delivery, {dt.datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n",
        f"`make bench` (`bench/webhooks.py --runs {args.runs} --events {args.events}`): "
        f"{args.events} committed events per run, workers pinned to CPU {args.worker_cpu} "
        f"(concurrency {CONCURRENCY} each), the "
        f"receiver (bare ASGI under uvicorn) to CPU {args.receiver_cpu}, PostgreSQL unpinned. Ceiling: the "
        "worker's sender alone (signing, pinned address, same concurrency) on the workers' core, "
        "no database. "
        f"Medians of {args.runs} runs.\n",
        "| database | workers | worker CPUs | events/s | ceiling posts/s | ratio | worker CPU ms/event |",
        "|---|---|---|---|---|---|---|",
    ]
    for (kind, workers, pinned), samples in results.items():
        rate = statistics.median(sample[0] for sample in samples)
        top = statistics.median(sample[1] for sample in samples)
        cpus = args.worker_cpu if pinned else "both"
        cpu_ms = statistics.median(sample[2] for sample in samples)
        lines.append(
            f"| {kind} | {workers} | {cpus} | {rate:.0f} | {top:.0f} | {rate / top:.0%} | {cpu_ms:.1f} |"
        )
    report = "\n".join(lines) + "\n"
    print(report)
    if not args.no_docs:
        with DOCS.open("a") as docs:
            docs.write(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
