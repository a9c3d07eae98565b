"""SQLite's ``WouldWait`` on the production path: a quick unit that meets the write lock held by
another process (or by this process's writer on a thread) is run again on a database thread,
where it waits; meanwhile the event loop answers others (``/healthz``); the write applies once.

Nothing here is timed: the tests see where the unit waits by the statements SQLite is given
(``set_trace_callback``) and by the lock they hold and release themselves.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

from studio_comms.db.database import Database
from studio_comms.db.sql import Sql
from studio_comms.settings import Settings
from tests.conftest import backend
from tests.factories import World
from tests.servers import server_thread
from tests.wire import OPT_IN, PREFS, THREAD, THREADS

pytestmark = pytest.mark.skipif(backend() != "sqlite", reason="SQLite's write lock and WouldWait")

# Another process: takes the write lock, says so, holds it until told (a line on stdin).
_HOLDER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
connection.execute("ROLLBACK")
"""


class Statements:
    """``BEGIN IMMEDIATE`` as SQLite is given it, on every connection of the engine (the event
    loop's own included: it is made with the engine's connect hooks)."""

    def __init__(self, engine: Engine) -> None:
        self.begins = 0
        self.seen = threading.Condition()
        engine.dispose()  # every connection from now on is a new one, traced
        event.listen(engine, "connect", self._trace)
        self.engine = engine

    def _trace(self, dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(self._statement)

    def _statement(self, statement: str) -> None:
        if statement.startswith("BEGIN IMMEDIATE"):
            with self.seen:
                self.begins += 1
                self.seen.notify_all()

    def wait_for_begins(self, count: int) -> None:
        with self.seen:
            assert self.seen.wait_for(lambda: self.begins >= count, timeout=60), self.begins

    def close(self) -> None:
        event.remove(self.engine, "connect", self._trace)


@pytest.fixture
def statements(engine: Engine, world: World) -> Iterator[Statements]:
    traced = Statements(engine)
    yield traced
    traced.close()


@contextmanager
def lock_held_by_another_process(database_url: str) -> Iterator[subprocess.Popen[str]]:
    path = make_url(database_url).database or ""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        if holder.poll() is None:
            assert holder.stdin is not None
            holder.stdin.write("\n")
            holder.stdin.flush()
        holder.wait(timeout=30)


def release(holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None
    holder.stdin.write("\n")
    holder.stdin.flush()
    holder.wait(timeout=30)


def test_a_write_waiting_for_another_processes_lock_waits_on_a_thread_and_healthz_answers_meanwhile(
    app: FastAPI, settings: Settings, world: World, database_url: str, statements: Statements
) -> None:
    headers = {"X-API-KEY": world.key_a, "Idempotency-Key": "waited-1"}
    with (
        server_thread(app, settings) as base,
        httpx.Client(base_url=base, timeout=60) as client,
        ThreadPoolExecutor(1) as pool,
    ):
        assert client.get(PREFS, headers=headers).status_code == 200  # the loop's connection is made
        with lock_held_by_another_process(database_url) as holder:
            put: Future[httpx.Response] = pool.submit(client.put, PREFS, json=OPT_IN, headers=headers)
            # The first try, on the loop's connection, meets the lock at once (WouldWait); the
            # second is the retry, waiting for the lock now.
            statements.wait_for_begins(2)
            healthz = client.get("/healthz")
            assert healthz.status_code == 200
            # Answered while the write still waits: the loop was free, the wait is on a thread.
            assert not put.done()
            release(holder)
            answer = put.result(timeout=60)
        assert answer.status_code == 200, answer.text
        # Applied once: one ledger entry; the retry of the request replays, changes nothing.
        replayed = client.put(PREFS, json=OPT_IN, headers=headers)
        assert replayed.headers.get("Idempotent-Replayed") == "true"
        history = client.get(PREFS + "/history", headers=headers).json()["result"]
    assert [(entry["communicationChannel"], entry["active"]) for entry in history] == [("EMAIL", True)]
    assert statements.begins == 3  # the loop's try, the thread's wait, the replay's (on the loop)


def test_a_write_meeting_this_processes_writer_on_a_thread_is_run_again_once(
    app: FastAPI, db: Database, settings: Settings, world: World, statements: Statements
) -> None:
    """The process's own writer on a thread (a slow unit) holds the writer's turn: the quick unit
    of a POST is not started on the loop (WouldWait before any statement), runs once on a thread
    when the writer is done, and creates its thread once, with one event."""
    holding, done = threading.Event(), threading.Event()

    def slow_writer() -> None:
        with db.transaction():
            holding.set()
            done.wait(60)

    writer = threading.Thread(target=slow_writer)
    with (
        server_thread(app, settings) as base,
        httpx.Client(base_url=base, timeout=60, headers={"X-API-KEY": world.key_a}) as client,
        ThreadPoolExecutor(1) as pool,
    ):
        # What one POST writes, uncontended (another customer's thread): its events.
        events_before = _events(db)
        assert client.post("/v1/communications/2/threads", json=THREAD).status_code == 200
        per_post = _events(db) - events_before
        events_before = _events(db)
        writer.start()
        try:
            assert holding.wait(60)
            begins = statements.begins
            post: Future[httpx.Response] = pool.submit(
                client.post, "/v1/communications/1/threads", json=THREAD
            )
            assert client.get("/healthz").status_code == 200
            assert not post.done()
            assert statements.begins == begins  # nothing began: the turn was taken, not waited for
        finally:
            done.set()
            writer.join(60)
        created = post.result(timeout=60)
        assert created.status_code == 200, created.text
        threads = client.get(THREADS).json()["result"]
    assert [thread["threadId"] for thread in threads] == [created.json()["threadId"]]
    assert per_post > 0
    assert _events(db) == events_before + per_post  # its events once


def _events(db: Database) -> int:
    with db.read() as tx:
        return int(tx.scalar(_EVENTS))


_EVENTS = Sql("SELECT count(*) FROM outbox WHERE kind = 'event'")
