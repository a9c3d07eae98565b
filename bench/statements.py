#!/usr/bin/env python3
"""Database statements, commits, rollbacks and pings per request and per webhook event, counted
in-process with no load (``python bench/statements.py``; part of the profile of issue 12).

Ours runs in this process (``create_app`` under Starlette's TestClient; the outbox worker's own
``drain()`` for webhooks, posting to bench/receiver.py); every call into the driver is counted:
SQLAlchemy's cursor events, the plain-SQL reads of ``db.rawsql``, the commits, the rollbacks (the
pool's reset when a connection is returned) and the pool's pings. On PostgreSQL each is a round
trip (psycopg also sends a BEGIN before the first statement of each transaction, not counted).
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

from benchlib.delivery import enqueue_events, fresh_database, receiver, subscribe, wait_drained
from benchlib.postgres import admin_if
from benchlib.procs import log
from benchlib.seeding import PREFS_PATH, PUT_BODY, THREADS_PATH, thread_body
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from studio_comms.background import build_worker, worker_engine_options
from studio_comms.core.auth import Scope
from studio_comms.db import rawsql
from studio_comms.db.engine import make_engine
from studio_comms.db.session import Database
from studio_comms.main import create_app
from studio_comms.settings import Settings

ADMIN = "statements-admin-token"


@dataclass
class Tally:
    statements: int = 0
    commits: int = 0
    rollbacks: int = 0
    pings: int = 0
    kinds: dict[str, int] = field(default_factory=dict)

    def add(self, sql: str) -> None:
        self.statements += 1
        word = sql.split(None, 1)[0].upper() if sql.strip() else "?"
        self.kinds[word] = self.kinds.get(word, 0) + 1


@contextlib.contextmanager
def counted(engine: Engine) -> Iterator[Tally]:
    """Every statement, commit and rollback on ``engine`` (and through db.rawsql) while inside."""
    tally = Tally()

    def after(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        tally.add(statement)

    dialect = engine.dialect
    original = (dialect.do_commit, dialect.do_rollback, rawsql.RawConnection.rows, dialect.do_ping)

    def counting(kind: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if kind == "SELECT":
                tally.add(kind)
            else:
                setattr(tally, kind, getattr(tally, kind) + 1)
            return call(*args, **kwargs)

        return wrapper

    event.listen(engine, "after_cursor_execute", after)
    dialect.do_commit = counting("commits", original[0])  # type: ignore[method-assign]
    dialect.do_rollback = counting("rollbacks", original[1])  # type: ignore[method-assign]
    rawsql.RawConnection.rows = counting("SELECT", original[2])  # type: ignore[method-assign]
    dialect.do_ping = counting("pings", original[3])  # type: ignore[method-assign]
    try:
        yield tally
    finally:
        event.remove(engine, "after_cursor_execute", after)
        dialect.do_commit, dialect.do_rollback = original[0], original[1]  # type: ignore[method-assign]
        rawsql.RawConnection.rows = original[2]  # type: ignore[method-assign]
        dialect.do_ping = original[3]  # type: ignore[method-assign]


def line(what: str, tally: Tally, count: int) -> str:
    kinds = ", ".join(f"{k} {v / count:.1f}" for k, v in sorted(tally.kinds.items()))
    return (
        f"| {what} | {tally.statements / count:.1f} ({kinds}) | {tally.commits / count:.1f} "
        f"| {tally.rollbacks / count:.1f} | {tally.pings / count:.1f} |"
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
    with TestClient(create_app(settings, database=Database(engine))) as client:
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
            with counted(engine) as tally:
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
    worker = build_worker(settings, database, listen=False)
    with counted(engine) as tally:
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
    header = (
        "| | statements (by verb) | commits | rollbacks (pool reset) | pings (pool pre-ping) |\n"
        "|---|---|---:|---:|---:|"
    )
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
