#!/usr/bin/env python3
"""Delivery (``make bench``, issue 13): bulk acceptance and e-mails per second of one worker.

Per database (SQLite, PostgreSQL) and run, each in a fresh database:

1. **bulk accept**: a studio with 10,000 customers; ``studio-comms serve --no-worker`` pinned to the
   server core; one ``POST /v1/messages`` naming all 10,000 (APPOINTMENT e-mail with placeholders):
   seconds from sending the request to the 202 (every member accepted). Target < 2 s.
2. **send**: ``--emails`` messages accepted in one bulk request (in-process) while one
   ``studio-comms worker`` (pinned to the worker core) idles, sending to an SMTP sink on loopback
   (aiosmtpd in this process): e-mails/s from the first to the last arrival, e-mails/s from the
   acceptance to the empty outbox, and the worker's CPU per e-mail. Target ≥ 200 e-mails/s.

Medians over ``--runs`` go to stdout and docs/benchmarks.md (section "Delivery"; not with --quick
or --no-docs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from benchlib.apps import clean_env
from benchlib.delivery import CONCURRENCY, STUDIO_COMMS, fresh_database, wait_drained
from benchlib.machine import REPO, source_state
from benchlib.mail import bulk_body, smtp_sink, studio_with_customers
from benchlib.postgres import admin_if
from benchlib.procs import CLK_TCK, BenchError, Server, cpu_ticks_of, free_port, log

from studio_comms.db.database import open_database
from studio_comms.messages.bulk import accept_bulk
from studio_comms.messages.schemas import BulkMessageCreate

DOCS = REPO / "docs" / "benchmarks.md"
BULK_SECONDS_TARGET = 2.0
EMAILS_PER_SECOND_TARGET = 200
BULK_RECIPIENTS = 10_000


def bulk_accept(db_url: str, core: str, workdir: Path) -> float:
    with open_database(db_url) as db:
        _studio, key = studio_with_customers(db, BULK_RECIPIENTS)
    port = free_port()
    env = {
        **clean_env(),
        "STUDIO_COMMS_DATABASE_URL": db_url,
        "STUDIO_COMMS_VAR_DIR": str(workdir / "var"),
        "STUDIO_COMMS_RATE_LIMIT": "100000000/minute",
    }
    server = Server(
        "serve", [str(STUDIO_COMMS), "serve", "--no-worker", "--port", str(port)],
        port=port, env=env, cwd=workdir, core=core, ready_path="/healthz",
    )  # fmt: skip
    body = bulk_body(BULK_RECIPIENTS)
    try:
        server.start()
        with httpx.Client(base_url=server.base_url, timeout=60, headers={"X-API-KEY": key}) as client:
            client.get("/v1/studios/information")  # warm: the key's lookup, the first connection
            started = time.perf_counter()
            response = client.post("/v1/messages", json=body)
            elapsed = time.perf_counter() - started
    finally:
        server.stop()
    if response.status_code != 202 or response.json()["accepted"] != BULK_RECIPIENTS:
        raise BenchError(f"bulk request answered {response.status_code}: {response.text[:300]}")
    return elapsed


def send(db_url: str, emails: int, core: str) -> dict[str, float]:
    with open_database(db_url) as db, smtp_sink() as (sink, smtp_url):
        studio, _key = studio_with_customers(db, emails)
        env = {
            **clean_env(),
            "STUDIO_COMMS_DATABASE_URL": db_url,
            "STUDIO_COMMS_SMTP_URL": smtp_url,
            "STUDIO_COMMS_WORKER_CONCURRENCY": str(CONCURRENCY),
        }
        worker = subprocess.Popen(
            ["taskset", "-c", core, str(STUDIO_COMMS), "worker"], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            time.sleep(3)  # migrated, connected, idle
            cpu_before = cpu_ticks_of(worker.pid)
            started = time.monotonic()
            with db.transaction() as tx:
                accept_bulk(
                    tx, studio, BulkMessageCreate.model_validate(bulk_body(emails)), now=datetime.now(UTC)
                )
            wait_drained(db)
            elapsed = time.monotonic() - started
            cpu = (cpu_ticks_of(worker.pid) - cpu_before) / CLK_TCK
        finally:
            worker.terminate()
            worker.wait(30)
        if sink.count < emails or len(sink.message_ids) != emails:
            raise BenchError(f"{sink.count} e-mails arrived ({len(sink.message_ids)} distinct) of {emails}")
        return {
            "first_to_last": (emails - 1) / (sink.last - sink.first),
            "accept_to_done": emails / elapsed,
            "cpu_ms": cpu * 1000 / emails,
            "duplicates": sink.count - emails,
        }


def mark(ok: bool) -> str:
    return "✅" if ok else "❌"


def render(rows: dict[str, list[dict[str, float]]], args: argparse.Namespace) -> str:
    lines = [
        f"\n## Delivery, {dt.datetime.now(UTC):%Y-%m-%d %H:%M} UTC — commit {source_state()[0]}\n",
        f"`python bench/messages.py --runs {args.runs} --emails {args.emails}`: bulk acceptance of "
        f"{BULK_RECIPIENTS:,} recipients by `studio-comms serve --no-worker` pinned to CPU {args.server_cpu} "
        f"(one request, seconds to the 202); then {args.emails} accepted e-mails sent by one standalone "
        f"`studio-comms worker` (concurrency {CONCURRENCY}) pinned to CPU {args.worker_cpu} to an aiosmtpd "
        f"sink on loopback. Medians of {args.runs} runs. Targets (issue 13): bulk of 10,000 accepted in "
        f"< {BULK_SECONDS_TARGET:g} s; ≥ {EMAILS_PER_SECOND_TARGET} e-mails/s from one worker.\n",
        "| database | bulk 10,000: s to 202 | e-mails/s first → last arrival | e-mails/s accept → drained "
        "| worker CPU ms/e-mail | duplicates |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind, runs in rows.items():

        def med(key: str, runs: list[dict[str, float]] = runs) -> float:
            return statistics.median(run[key] for run in runs)

        bulk, rate = med("bulk_seconds"), med("first_to_last")
        lines.append(
            f"| {kind} | {bulk:.2f} {mark(bulk < BULK_SECONDS_TARGET)} "
            f"| {rate:,.0f} {mark(rate >= EMAILS_PER_SECOND_TARGET)} | {med('accept_to_done'):,.0f} "
            f"| {med('cpu_ms'):.2f} | {max(run['duplicates'] for run in runs):.0f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--quick", action="store_true", help="1 run of 300 e-mails, nothing appended")
    parser.add_argument("--server-cpu", default="0")
    parser.add_argument("--worker-cpu", default="0")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-docs", action="store_true", help="do not append to docs/benchmarks.md")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    if args.quick:
        args.runs, args.emails, args.no_docs = 1, 300, True
    databases = [d for d in args.databases.split(",") if d]
    rows: dict[str, list[dict[str, float]]] = {kind: [] for kind in databases}
    try:
        with (
            admin_if("postgres" in databases, args.postgres_url) as pg,
            tempfile.TemporaryDirectory(prefix="sc-messages-") as tmp,
        ):
            for run in range(1, args.runs + 1):
                for kind in databases:
                    with fresh_database(kind, pg) as db_url:
                        seconds = bulk_accept(db_url, args.server_cpu, Path(tmp))
                    with fresh_database(kind, pg) as db_url:
                        sample = {"bulk_seconds": seconds, **send(db_url, args.emails, args.worker_cpu)}
                    rows[kind].append(sample)
                    log(f"run {run}: {kind}: {sample}")
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
