"""The request path's shortcuts keep their promises: a SQLite write that would wait for the lock
waits on a thread instead of failing; a remembered key stops working when revoked (at once through
this process, within a second when another process revokes it)."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from studio_comms.apikeys.service import list_keys, revoke_key
from studio_comms.db.database import Database
from tests.conftest import ADMIN_TOKEN, FixedClock, backend
from tests.factories import World

PREFS = "/v1/communications/1/communication-preferences"
OPT_IN = [{"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}]


@pytest.mark.skipif(backend() != "sqlite", reason="SQLite's write lock")
def test_a_write_meeting_another_processes_lock_waits_for_it_and_is_applied_once(
    live: tuple[FastAPI, World], database_url: str
) -> None:
    app, _world = live
    other = sqlite3.connect(
        make_url(database_url).database or "", isolation_level=None, check_same_thread=False
    )
    releaser = threading.Timer(0.5, lambda: other.execute("ROLLBACK"))
    with TestClient(app, headers={"X-API-KEY": _world.key_a}) as client:
        before = len(client.get(PREFS + "/history").json()["result"])
        other.execute("BEGIN IMMEDIATE")  # another process writing
        try:
            releaser.start()
            started = time.monotonic()
            answer = client.put(PREFS, json=OPT_IN)
            waited = time.monotonic() - started
        finally:
            releaser.join()
            other.close()
        assert answer.status_code == 200, answer.text
        assert waited >= 0.4  # it waited for the lock (on a thread) rather than failing at once
        history = client.get(PREFS + "/history").json()["result"]
    assert len(history) == before + 1
    assert history[0]["communicationChannel"] == "EMAIL"
    assert history[0]["active"] is True


def test_a_key_revoked_through_the_operator_api_fails_on_the_next_request(
    live: tuple[FastAPI, World],
) -> None:
    app, world = live
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with TestClient(app) as client:
        assert client.get(PREFS, headers={"X-API-KEY": world.key_a}).status_code == 200  # remembered
        keys = client.get(f"/admin/v1/studios/{world.studio_a}/api-keys", headers=admin).json()
        revoked = client.delete(
            f"/admin/v1/studios/{world.studio_a}/api-keys/{keys[0]['keyId']}", headers=admin
        )
        assert revoked.status_code == 204
        answer = client.get(PREFS, headers={"X-API-KEY": world.key_a})
    assert answer.status_code == 401
    assert answer.json()["errorCode"] == "AUTHENTICATION_FAILED"


def test_a_key_revoked_by_another_process_fails_within_a_second(
    live: tuple[FastAPI, World], engine: Engine, clock: FixedClock
) -> None:
    app, world = live
    with TestClient(app, headers={"X-API-KEY": world.key_a}) as client:
        assert client.get(PREFS).status_code == 200  # remembered from now on
        other_process = Database(engine)
        with other_process.transaction() as tx:
            revoke_key(tx, world.studio_a, list_keys(tx, world.studio_a)[0].keyId, now=clock.now)
        revoked_at = time.monotonic()
        statuses = []
        while time.monotonic() - revoked_at < 1.5:
            statuses.append(client.get(PREFS).status_code)
            if statuses[-1] == 401:
                break
            time.sleep(0.05)
        took = time.monotonic() - revoked_at
    assert statuses[-1] == 401, statuses
    assert took <= 1.1, f"the revoked key still worked {took:.2f} s later"


@pytest.mark.skipif(backend() != "sqlite", reason="units run on the event loop on SQLite only")
def test_only_quick_units_run_on_the_event_loop(
    live: tuple[FastAPI, World], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unit that may touch thousands of rows (a history, a bulk send) must not stall the loop."""
    app, world = live
    on_loop: list[bool] = []
    original = Database.on_loop

    def counting(self: Database, *, write: bool) -> object:
        on_loop.append(write)
        return original(self, write=write)

    monkeypatch.setattr(Database, "on_loop", counting)
    with TestClient(app, headers={"X-API-KEY": world.key_a}) as client:
        assert client.get(PREFS).status_code == 200
        assert client.put(PREFS, json=OPT_IN).status_code == 200
        quick = len(on_loop)
        assert quick >= 2
        assert client.get(PREFS + "/history").status_code == 200
        assert client.get("/v1/communications/1/threads").status_code == 200
        assert len(on_loop) == quick  # the key was remembered; the reads ran on a thread
