#!/usr/bin/env python3
"""Webhook delivery of the standalone outbox worker (``make bench``, issue 12).

Per database (SQLite, PostgreSQL) and run, in a fresh database with one studio:

1. **drain**: one subscription to the receiver (bench/receiver.py, a bare ASGI app on loopback
   pinned to the receiver core, answering 200); one ``studio-comms worker`` pinned to the worker
   core, idle; ``--events`` events committed in one transaction. Events/s from the first to the
   last delivery's arrival ((N − 1) ÷ (last − first)), events/s from the commit to the empty outbox,
   and the worker's CPU (utime+stime) from the commit to the empty outbox ÷ events. Every delivery
   must have succeeded and arrived;
2. **fan-out**: 50 subscriptions, one event: seconds from the start of its commit to the arrival of
   the 50th delivery;
3. the **ceiling**: the worker's own sender (signing, pinned address, same concurrency) posting N
   envelopes to the same receiver with no database, on the worker core.

``--scale-out`` adds two workers on PostgreSQL (pinned to one core, then on both). Medians over
``--runs`` go to stdout and docs/benchmarks.md (not with --quick or --no-docs).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import uvloop
from benchlib.delivery import CONCURRENCY, drain, fan_out, fresh_database, receiver
from benchlib.machine import REPO, source_state
from benchlib.postgres import Postgres, admin_if
from benchlib.procs import BenchError, log

from studio_comms.webhooks import signing
from studio_comms.webhooks.sender import Sender

DOCS = REPO / "docs" / "benchmarks.md"
EVENTS_PER_SECOND_TARGET = 1000
CPU_MS_TARGET = 1.0
FAN_OUT_SECONDS_TARGET = 1.0


def ceiling(url: str, events: int, core: str) -> float:
    """Posts/s of the sender alone, on the worker core: delivery with a free database (signing,
    the async sender, ``CONCURRENCY`` posts in flight on one event loop, as the worker sends)."""
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {int(core)})
    sender = Sender(timeout=5, allow_private=True)
    secret = signing.new_signing_secret()

    async def post(numbers: range) -> None:
        for number in numbers:
            event_uuid = str(uuid.uuid4())
            body = signing.envelope(
                entity_id=number, event_uuid=event_uuid,
                event_type="CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED",
                occurred_at=datetime.now(UTC), content=None,
            )  # fmt: skip
            headers = signing.headers(
                api_key="k", signing_secret=secret, event_uuid=event_uuid, body=body,
                sent_at=datetime.now(UTC),
            )  # fmt: skip
            attempt = await sender.send(url + "/hooks/ceiling", body.encode(), headers)
            if not attempt.succeeded:
                raise BenchError(f"ceiling post failed: {attempt.error}")

    async def all_of_them() -> None:
        await asyncio.gather(*(post(range(lane, events, CONCURRENCY)) for lane in range(CONCURRENCY)))

    loop = uvloop.new_event_loop()
    try:
        started = time.perf_counter()
        loop.run_until_complete(all_of_them())
        return events / (time.perf_counter() - started)
    finally:
        sender.close()
        loop.close()
        os.sched_setaffinity(0, allowed)


def measure(
    kind: str, count: int, cpus: str, pg: Postgres | None, receiver_url: str, args: argparse.Namespace
) -> dict[str, float]:
    """One run of one configuration: the drain, the sender alone, and (one worker) the fan-out."""
    with fresh_database(kind, pg) as db_url:
        result = drain(db_url, receiver_url, events=args.events, workers_count=count, cpus=cpus)
    sample = {
        "first_to_last": result.first_to_last_per_s,
        "commit_to_done": result.commit_to_done_per_s,
        "cpu_ms": result.cpu_ms_per_event,
        "ceiling": ceiling(receiver_url, args.events, args.worker_cpu),
    }
    if count == 1:
        with fresh_database(kind, pg) as db_url:
            sample["fan_out"] = fan_out(db_url, receiver_url, cpus=cpus)
    return sample


def mark(ok: bool) -> str:
    return "✅" if ok else "❌"


def render(rows: dict[tuple[str, int, str], list[dict[str, float]]], args: argparse.Namespace) -> str:
    lines = [
        f"\n## Webhook delivery, {dt.datetime.now(UTC):%Y-%m-%d %H:%M} UTC — commit {source_state()[0]}\n",
        f"`python bench/webhooks.py --runs {args.runs} --events {args.events}`: one standalone "
        f"`studio-comms worker` (concurrency {CONCURRENCY}) pinned to CPU {args.worker_cpu}, the receiver "
        f"(bench/receiver.py under uvicorn) to CPU {args.receiver_cpu}, PostgreSQL unpinned; {args.events} "
        "events to one subscription committed while the worker idles. Medians of "
        f"{args.runs} runs. Targets (issue 12): ≥ {EVENTS_PER_SECOND_TARGET:,} events/s first → last "
        f"delivery, ≤ {CPU_MS_TARGET:g} ms worker CPU per event, one event to 50 subscriptions delivered in "
        f"< {FAN_OUT_SECONDS_TARGET:g} s.\n",
        "| database | workers | worker CPUs | events/s first → last delivery | events/s commit → drained "
        "| worker CPU ms/event | fan-out to 50: s to the last delivery | sender alone posts/s |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for (kind, count, cpus), runs in rows.items():

        def med(key: str, runs: list[dict[str, float]] = runs) -> float:
            return statistics.median(run[key] for run in runs if key in run)

        rate, cpu = med("first_to_last"), med("cpu_ms")
        fan = (
            f"{med('fan_out'):.2f} {mark(med('fan_out') < FAN_OUT_SECONDS_TARGET)}"
            if "fan_out" in runs[0]
            else "—"
        )
        lines.append(
            f"| {kind} | {count} | {cpus} | {rate:,.0f} {mark(rate >= EVENTS_PER_SECOND_TARGET)} "
            f"| {med('commit_to_done'):,.0f} | {cpu:.2f} {mark(cpu <= CPU_MS_TARGET)} | {fan} "
            f"| {med('ceiling'):,.0f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--scale-out", action="store_true", help="also two workers on PostgreSQL")
    parser.add_argument("--quick", action="store_true", help="1 run of 500 events, nothing appended")
    parser.add_argument("--worker-cpu", default="0")
    parser.add_argument("--receiver-cpu", default="1")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-docs", action="store_true", help="do not append to docs/benchmarks.md")
    args = parser.parse_args()
    # SIGTERM unwinds like an exception, so the receiver, workers and databases are cleaned up.
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    if args.quick:
        args.runs, args.events, args.no_docs = 1, 500, True
    databases = [d for d in args.databases.split(",") if d]
    # (database, workers, CPUs); two workers on both cores share them with the receiver and PostgreSQL.
    configs = [(db, 1, args.worker_cpu) for db in databases]
    if args.scale_out and "postgres" in databases:
        configs += [
            ("postgres", 2, args.worker_cpu),
            ("postgres", 2, f"{args.worker_cpu},{args.receiver_cpu}"),
        ]
    rows: dict[tuple[str, int, str], list[dict[str, float]]] = {config: [] for config in configs}
    try:
        with (
            admin_if("postgres" in databases, args.postgres_url) as pg,
            tempfile.TemporaryDirectory(prefix="sc-receiver-") as tmp,
            receiver(args.receiver_cpu, Path(tmp)) as rx,
        ):
            for run in range(1, args.runs + 1):
                for kind, count, cpus in configs:
                    rows[(kind, count, cpus)].append(measure(kind, count, cpus, pg, rx.base_url, args))
                    log(f"run {run}: {kind} ×{count} on CPU {cpus}: {rows[(kind, count, cpus)][-1]}")
    except BenchError as error:
        log(f"FAILED: {error}")
        return 1
    report = render(rows, args)
    print(report)
    if not args.no_docs:
        DOCS.write_text(DOCS.read_text().rstrip("\n") + "\n" + report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
