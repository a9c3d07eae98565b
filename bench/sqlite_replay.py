#!/usr/bin/env python3
"""What SQLite itself costs of a GET and of a flipping PUT (``python bench/sqlite_replay.py``).

Ours runs in this process on a fresh SQLite file (TestClient); the statements one GET and one
flipping PUT send to the driver are captured with their parameters, then replayed with the stdlib
``sqlite3`` module in one thread, with our pragmas, ``--times`` times each (a fresh event uuid
per outbox row). The CPU per replay is SQLite's own work plus a minimal Python loop: the floor
under any implementation that sends these statements.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchlib import driver_trace
from benchlib.seeding import PREFS_PATH, PUT_BODY
from fastapi.testclient import TestClient

from studio_comms.core.auth import Scope
from studio_comms.db.database import Database
from studio_comms.db.engine import make_engine
from studio_comms.db.migrate import upgrade
from studio_comms.main import create_app
from studio_comms.settings import Settings

ADMIN = "replay-admin-token-0123456789"
UUID = re.compile(r"'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'")


def capture(directory: Path) -> dict[str, list[str]]:
    """The statements of one GET and one flipping PUT, as SQLite received them (values written in)."""
    url = f"sqlite:///{directory}/replay.db"
    upgrade(url)
    engine = make_engine(url)
    captured: list[str] = []
    recording = [False]

    def hear(sql: str) -> None:
        if recording[0]:
            captured.append(sql)

    settings = Settings(database_url=url, admin_token=ADMIN, var_dir=directory)  # type: ignore[arg-type]
    found: dict[str, list[str]] = {}
    app = create_app(settings, database=Database(engine))
    with driver_trace.traced(engine, hear), TestClient(app) as client:
        admin = {"Authorization": f"Bearer {ADMIN}"}
        studio = client.post("/admin/v1/studios", json={"name": "S"}, headers=admin).json()["studioId"]
        body = {"name": "k", "scopes": list(Scope)}
        key = client.post(f"/admin/v1/studios/{studio}/api-keys", json=body, headers=admin).json()["apiKey"]
        client.put(
            f"/admin/v1/studios/{studio}/customers/1",
            json={"firstName": "A", "lastName": "B"},
            headers=admin,
        )
        client.headers.update({"X-API-KEY": key, "Content-Type": "application/json"})
        client.put(PREFS_PATH.format(1), content=PUT_BODY.format("true"))  # the choice row exists
        calls: dict[str, Callable[[], Any]] = {
            "GET": lambda: client.get(PREFS_PATH.format(1)),
            "PUT": lambda: client.put(PREFS_PATH.format(1), content=PUT_BODY.format("false")),
        }
        for name, call in calls.items():
            captured.clear()
            recording[0] = True
            assert call().status_code == 200
            recording[0] = False
            found[name] = [sql for sql in captured if not sql.startswith("PRAGMA")]
    engine.dispose()
    return found


def replay(connection: sqlite3.Connection, statements: list[str]) -> None:
    for sql in statements:
        if sql.startswith("INSERT INTO outbox"):  # event_uuid is unique
            sql = UUID.sub(lambda _: f"'{uuid.uuid4()}'", sql)
        connection.execute(sql).fetchall()
    if connection.in_transaction:
        connection.execute("ROLLBACK")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--times", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for name, statements in capture(directory).items():
            verbs = " ".join(sql.split(None, 1)[0] for sql in statements)
            connection = sqlite3.connect(directory / "replay.db", isolation_level=None)
            connection.execute("PRAGMA synchronous=NORMAL")  # as our engine sets it
            replay(connection, statements)  # warm
            cpu = time.process_time()
            for _ in range(args.times):
                replay(connection, statements)
            connection.close()
            per = (time.process_time() - cpu) / args.times
            print(f"{name}: {len(statements)} statements ({verbs}): {per * 1e6:.0f} µs CPU per replay")
    return 0


if __name__ == "__main__":
    sys.exit(main())
