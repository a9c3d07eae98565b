"""An Idempotency-Key is held only by the transaction doing the work: while it runs, a second request
with the key is told to retry in a second; when its process dies, the key is free again at once."""

from __future__ import annotations

import threading
import time
from contextlib import suppress
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.factories import World
from tests.servers import serve_process

# A server process killed mid-request, and how soon its key is free: run alone (make test's serial part).
pytestmark = pytest.mark.serial

PREFS = "/v1/communications/1/communication-preferences"
OPT_IN = [{"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}]


def _put(base: str, key: str, idempotency_key: str) -> httpx.Response:
    return httpx.put(
        base + PREFS, json=OPT_IN, headers={"X-API-KEY": key, "Idempotency-Key": idempotency_key}, timeout=30
    )


@pytest.mark.postgres_only
def test_the_key_of_a_request_killed_mid_flight_succeeds_within_the_stated_wait(
    tmp_path: Path, database_url: str, engine: Engine, committed_world: World
) -> None:
    key = committed_world.key_a
    with (
        serve_process(tmp_path, database_url, name="doomed") as doomed,
        serve_process(tmp_path, database_url, name="survivor") as survivor,
        engine.connect() as blocker,
    ):
        # Hold the customer's row: the doomed server's PUT stops inside its transaction, which by
        # then holds the Idempotency-Key.
        held = blocker.begin()
        blocker.execute(
            text("SELECT 1 FROM customers WHERE studio_id = :studio AND customer_id = 1 FOR UPDATE"),
            {"studio": committed_world.studio_a},
        )
        in_flight = threading.Thread(target=lambda: _swallow(lambda: _put(doomed.base, key, "crash-1")))
        in_flight.start()
        _wait_until_blocked_on_a_row_lock(engine)
        busy = _put(survivor.base, key, "crash-1")
        assert busy.status_code == 409, busy.text
        assert busy.json()["errorCode"] == "IDEMPOTENCY_KEY_IN_USE"
        stated_wait = float(busy.headers["Retry-After"])
        assert stated_wait == 1

        doomed.kill()  # SIGKILL: no rollback, no release, the socket just closes
        killed_at = time.monotonic()
        held.rollback()
        while True:
            retried = _put(survivor.base, key, "crash-1")
            if retried.status_code != 409 or time.monotonic() - killed_at > 30:
                break
            time.sleep(0.05)
        waited = time.monotonic() - killed_at
        in_flight.join(timeout=30)
        assert retried.status_code == 200, retried.text
        assert "Idempotent-Replayed" not in retried.headers
        assert waited < stated_wait, f"the key was free only {waited:.2f} s after the crash"
        # The killed request changed nothing; the retry changed it once, and a replay does not again.
        again = _put(survivor.base, key, "crash-1")
        assert again.headers.get("Idempotent-Replayed") == "true"
        history = httpx.get(survivor.base + PREFS + "/history", headers={"X-API-KEY": key}).json()["result"]
        assert len(history) == 1


def _wait_until_blocked_on_a_row_lock(engine: Engine) -> None:
    deadline = time.monotonic() + 15
    with engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query ILIKE '%customers%'"
                )
            )
            if waiting:
                return
            watcher.rollback()
            time.sleep(0.05)
    raise AssertionError("the doomed server's request never reached the customer's row lock")


def _swallow(call: object) -> None:
    with suppress(httpx.HTTPError):  # its server was killed
        call()  # type: ignore[operator]
