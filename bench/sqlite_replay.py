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
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchlib.seeding import PREFS_PATH, PUT_BODY
from fastapi.testclient import TestClient
from sqlalchemy import event

from studio_comms.core.auth import Scope
from studio_comms.db import rawsql
from studio_comms.db.engine import make_engine
from studio_comms.db.migrate import upgrade
from studio_comms.db.session import Database
from studio_comms.main import create_app
from studio_comms.settings import Settings

Statement = tuple[str, Any]


def capture(directory: Path) -> dict[str, list[Statement]]:
    """The statements of one GET and one flipping PUT, as the driver received them."""
    url = f"sqlite:///{directory}/replay.db"
    upgrade(url)
    engine = make_engine(url)
    captured: list[Statement] = []
    recording = [False]

    def before(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if recording[0]:
            captured.append((statement, params))

    event.listen(engine, "before_cursor_execute", before)
    plain_rows, plain_commit = rawsql.RawConnection.rows, engine.dialect.do_commit

    def rows(self: rawsql.RawConnection, sql: rawsql.Sql, **params: Any) -> list[tuple[Any, ...]]:
        if recording[0]:
            captured.append((sql.for_dialect("sqlite"), params))
        return plain_rows(self, sql, **params)

    def commit(connection: Any) -> None:
        if recording[0]:
            captured.append(("COMMIT", ()))
        plain_commit(connection)

    rawsql.RawConnection.rows = rows  # type: ignore[method-assign]
    engine.dialect.do_commit = commit  # type: ignore[method-assign]
    settings = Settings(database_url=url, admin_token="replay", var_dir=directory)  # type: ignore[arg-type]  # noqa: S106
    found: dict[str, list[Statement]] = {}
    try:
        with TestClient(create_app(settings, database=Database(engine))) as client:
            admin = {"Authorization": "Bearer replay"}
            studio = client.post("/admin/v1/studios", json={"name": "S"}, headers=admin).json()["studioId"]
            body = {"name": "k", "scopes": list(Scope)}
            key = client.post(f"/admin/v1/studios/{studio}/api-keys", json=body, headers=admin).json()[
                "apiKey"
            ]
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
                found[name] = list(captured)
    finally:
        rawsql.RawConnection.rows = plain_rows  # type: ignore[method-assign]
        event.remove(engine, "before_cursor_execute", before)
        engine.dispose()
    return found


def replay(connection: sqlite3.Connection, statements: list[Statement]) -> None:
    for sql, params in statements:
        if sql == "COMMIT" or sql.startswith("BEGIN"):
            connection.execute(sql)
            continue
        if sql.startswith("INSERT INTO outbox"):  # event_uuid is unique
            params = tuple(
                str(uuid.uuid4()) if isinstance(v, str) and v.count("-") == 4 else v for v in params
            )
        connection.execute(sql, params or ()).fetchall()
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
            verbs = " ".join(sql.split(None, 1)[0] for sql, _ in statements)
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
