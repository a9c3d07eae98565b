#!/usr/bin/env python3
"""Database statements, commits and rollbacks per request and per webhook event, counted
in-process with no load (``python bench/statements.py``; part of the profile of issue 12).

Ours runs in this process (``create_app`` under Starlette's TestClient; the outbox worker's own
``drain()`` for webhooks, posting to bench/receiver.py); every statement sent to the driver is
counted (benchlib.driver_trace), BEGIN and COMMIT included: on PostgreSQL each is a round trip.
Times are left out on purpose: measured here they mostly showed this shared machine's load.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchlib import driver_trace
from benchlib.delivery import enqueue_events, fresh_database, receiver, subscribe, wait_drained
from benchlib.postgres import admin_if
from benchlib.procs import log
from benchlib.seeding import PREFS_PATH, PUT_BODY, THREADS_PATH, thread_body
from fastapi.testclient import TestClient

from studio_comms.background import build_worker, worker_engine_options
from studio_comms.core.auth import Scope
from studio_comms.db.database import Database
from studio_comms.db.engine import make_engine
from studio_comms.main import create_app
from studio_comms.settings import Settings

ADMIN = "statements-admin-token-0123456789"


@dataclass
class Tally:
    statements: int = 0
    kinds: dict[str, int] = field(default_factory=dict)

    def add(self, sql: str) -> None:
        self.statements += 1
        # psycopg's pool pre-ping (SQLAlchemy's) is an empty query.
        word = sql.split(None, 1)[0].upper() if sql.strip(" ;") else "PING"
        self.kinds[word] = self.kinds.get(word, 0) + 1

    def per(self, word: str, count: int) -> float:
        return self.kinds.get(word, 0) / count


class Counting:
    """Statements sent on an engine's connections, counted while :meth:`counted` is open (the
    trace is installed for the engine's whole life: SQLite's is set on each new connection)."""

    def __init__(self) -> None:
        self.tally: Tally | None = None

    def hear(self, sql: str) -> None:
        if self.tally is not None:
            self.tally.add(sql)

    @contextlib.contextmanager
    def counted(self) -> Iterator[Tally]:
        self.tally = Tally()
        try:
            yield self.tally
        finally:
            self.tally = None


def line(what: str, tally: Tally, count: int) -> str:
    kinds = ", ".join(f"{k} {v / count:.1f}" for k, v in sorted(tally.kinds.items()))
    return (
        f"| {what} | {tally.statements / count:.1f} | {kinds} | {tally.per('COMMIT', count):.1f} "
        f"| {tally.per('ROLLBACK', count):.1f} |"
    )


def requests(db_url: str, count: int, var_dir: Path) -> list[str]:
    settings = Settings(
        database_url=db_url,
        admin_token=ADMIN,
        rate_limit="100000000/minute",
        var_dir=var_dir,  # type: ignore[arg-type]
    )
    engine = make_engine(db_url)
    rows = []
    counting = Counting()
    with (
        driver_trace.traced(engine, counting.hear),
        TestClient(create_app(settings, database=Database(engine))) as client,
    ):
        admin = {"Authorization": f"Bearer {ADMIN}"}
        studio = client.post("/admin/v1/studios", json={"name": "S"}, headers=admin).json()["studioId"]
        body = {"name": "k", "scopes": list(Scope)}
        key = client.post(f"/admin/v1/studios/{studio}/api-keys", json=body, headers=admin).json()["apiKey"]
        for customer in range(1, 101):
            path = f"/admin/v1/studios/{studio}/customers/{customer}"
            client.put(path, json={"firstName": "A", "lastName": "B"}, headers=admin)
        client.headers["X-API-KEY"] = key
        cases: dict[str, Callable[[int], Any]] = {
            "GET preferences": lambda i: client.get(PREFS_PATH.format(i % 100 + 1)),
            "PUT preferences (flip)": lambda i: client.put(
                PREFS_PATH.format(i % 100 + 1),
                content=PUT_BODY.format("true" if (i // 100) % 2 == 0 else "false"),
                headers={"Content-Type": "application/json"},
            ),
            "POST threads": lambda i: client.post(
                THREADS_PATH.format(i % 100 + 1), json=thread_body("CREATED")
            ),
        }
        for what, call in cases.items():
            call(0)  # warm
            with counting.counted() as tally:
                for i in range(1, count + 1):
                    response = call(i)
                    assert response.status_code == 200, response.text
                rows.append(line(what, tally, count))
    engine.dispose()
    return rows


def webhooks(db_url: str, receiver_url: str, events: int) -> str:
    settings = Settings(database_url=db_url, webhook_allow_private_networks=True)
    engine = make_engine(db_url, **worker_engine_options(settings))  # as `studio-comms worker` makes it
    database = Database(engine)
    studio = subscribe(database, receiver_url, 1)
    enqueue_events(database, studio, events)
    counting = Counting()
    with driver_trace.traced(engine, counting.hear):
        engine.dispose()  # SQLite traces the connections made from here on
        worker = build_worker(settings, database, listen=False)
        with counting.counted() as tally:
            while worker.drain():  # one item after the other in this thread: no endpoint is ever busy
                pass
        wait_drained(database, timeout=5)
        row = line("one webhook event (fan-out + delivery)", tally, events)
    worker.close()
    engine.dispose()
    return row


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    databases = [d for d in args.databases.split(",") if d]
    header = "| | statements | by verb | commits | rollbacks |\n|---|---:|---|---:|---:|"
    with (
        admin_if("postgres" in databases, args.postgres_url) as pg,
        tempfile.TemporaryDirectory() as tmp,
        receiver("1", Path(tmp)) as rx,
    ):
        for db in databases:
            with fresh_database(db, pg) as db_url:
                rows = requests(db_url, args.requests, Path(tmp))
            with fresh_database(db, pg) as db_url:
                rows.append(webhooks(db_url, rx.base_url, args.events))
            print(f"\n{db}:\n\n{header}\n" + "\n".join(rows))
            log(f"{db} done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
