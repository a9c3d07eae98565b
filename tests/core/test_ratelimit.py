"""Rate limits per API key and endpoint: 429 ErrorResponse with Retry-After; shared through Redis."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import httpx
import pytest
from fastapi.testclient import TestClient
from limits import parse
from sqlalchemy import Engine

from studio_comms.core.ratelimit import LocalWindows
from studio_comms.db.database import Database
from studio_comms.main import create_app
from studio_comms.settings import Settings
from tests.conftest import ADMIN_TOKEN, FixedClock
from tests.factories import World

PREFS = "/v1/communications/1/communication-preferences"
REDIS_URL = "redis://127.0.0.1:6379/0"


def limited_client(settings: Settings, db: Database, clock: FixedClock, **overrides: object) -> TestClient:
    limited = settings.model_copy(update={"rate_limit": "3/minute", **overrides})
    return TestClient(create_app(limited, database=db, clock=clock), raise_server_exceptions=False)


def test_fourth_request_in_a_minute_is_429_with_retry_after(
    settings: Settings, db: Database, clock: FixedClock, world: World
) -> None:
    client = limited_client(settings, db, clock)
    headers = {"X-API-KEY": world.key_a}
    assert [client.get(PREFS, headers=headers).status_code for _ in range(3)] == [200, 200, 200]
    limited = client.get(PREFS, headers=headers)
    assert limited.status_code == 429
    assert limited.json()["errorCode"] == "RATE_LIMITED"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    # Counted per endpoint and per key:
    assert client.put(PREFS, json=[], headers=headers).status_code == 200
    assert client.get(PREFS, headers={"X-API-KEY": world.key_b}).status_code == 200
    # ... and per endpoint, not per path: customer 2 is the same endpoint.
    assert client.get("/v1/communications/2/communication-preferences", headers=headers).status_code == 429


def test_redis_shares_the_count_between_processes(
    settings: Settings, db: Database, clock: FixedClock, world: World
) -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is expected at 127.0.0.1:6379 on this machine")
    prefix = f"test-{uuid.uuid4().hex}"
    first = limited_client(settings, db, clock, redis_url=REDIS_URL, rate_limit_key_prefix=prefix)
    second = limited_client(settings, db, clock, redis_url=REDIS_URL, rate_limit_key_prefix=prefix)
    headers = {"X-API-KEY": world.key_a}
    statuses = [c.get(PREFS, headers=headers).status_code for c in (first, second, first, second)]
    assert statuses == [200, 200, 200, 429]


def test_unreachable_redis_lets_requests_through(
    settings: Settings, db: Database, clock: FixedClock, world: World
) -> None:
    """Fails open: more requests than the limit allows all pass (with a reachable store the fourth
    of these would be a 429, as the test above shows)."""
    client = limited_client(settings, db, clock, redis_url="redis://127.0.0.1:1/0")
    statuses = [client.get(PREFS, headers={"X-API-KEY": world.key_a}).status_code for _ in range(5)]
    assert statuses == [200] * 5


def test_bad_rate_setting_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="rate_limit"):
        Settings(rate_limit="lots per hour", admin_token=ADMIN_TOKEN)  # type: ignore[arg-type]


@contextmanager
def silent_redis() -> Iterator[tuple[str, list[socket.socket]]]:
    """A loopback socket that accepts connections and never answers (a hung Redis)."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        with suppress(OSError):
            while True:
                accepted.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0", accepted
    finally:
        listener.close()
        for connection in accepted:
            connection.close()


async def _timed(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> tuple[int, float]:
    started = time.monotonic()
    response = await client.get(path, headers=headers)
    return response.status_code, time.monotonic() - started


def test_a_hanging_redis_costs_one_short_timeout_per_interval_and_holds_no_database_slot(
    engine: Engine,
    settings: Settings,
    clock: FixedClock,
    committed_world: World,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="studio_comms.ratelimit")
    key = {"X-API-KEY": committed_world.key_a}
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with silent_redis() as (url, accepted):
        hanging = settings.model_copy(
            update={
                "redis_url": url,
                "redis_timeout_seconds": 1.0,
                "redis_retry_seconds": 3.0,
                "rate_limit": "1/minute",
                "db_pool_size": 1,  # one database thread: a request waiting on Redis must not hold it
            }
        )
        app = create_app(hanging, database=Database(engine), clock=clock)

        async def scenario() -> None:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=30) as client:
                first = asyncio.create_task(_timed(client, PREFS, key))
                while not accepted:  # the request is now waiting for Redis
                    await asyncio.sleep(0.01)
                operator = await _timed(client, f"/admin/v1/studios/{committed_world.studio_a}", admin)
                assert operator[0] == 200
                assert operator[1] < 0.5, (
                    f"the operator request waited {operator[1]:.2f} s for a database thread"
                )
                status, elapsed = await first
                assert status == 200  # fail open
                assert 0.9 <= elapsed < 2.0, elapsed  # one short timeout
                contacted = len(accepted)
                # The circuit is open: no request waits, none is counted (the limit is 1 a minute).
                for _ in range(5):
                    status, elapsed = await _timed(client, PREFS, key)
                    assert status == 200
                    assert elapsed < 0.5, elapsed
                assert len(accepted) == contacted
                # After the retry interval one request probes Redis again (and fails open again).
                await asyncio.sleep(3.2)
                probe = asyncio.create_task(_timed(client, PREFS, key))
                await asyncio.sleep(0.2)
                others = [await _timed(client, PREFS, key) for _ in range(3)]
                assert all(status == 200 and elapsed < 0.5 for status, elapsed in others), others
                status, elapsed = await probe
                assert status == 200
                assert 0.9 <= elapsed < 2.0, elapsed

        asyncio.run(scenario())
    warnings = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(warnings) == 2, [r.getMessage() for r in warnings]  # one per interval
    assert "TimeoutError" in warnings[0].getMessage()


def test_local_windows_count_per_key_and_endpoint_and_start_anew_when_the_window_ends() -> None:
    now = [100.0]
    windows = LocalWindows(parse("2/minute"), clock=lambda: now[0])
    assert windows.hit(1, "GET /a") is None
    assert windows.hit(1, "GET /a") is None
    now[0] += 20
    assert windows.hit(1, "GET /a") == pytest.approx(40.0)  # refused: 40 s left of this window
    assert windows.hit(2, "GET /a") is None  # another key
    assert windows.hit(1, "PUT /a") is None  # another endpoint
    now[0] += 40
    assert windows.hit(1, "GET /a") is None  # the window ended with its minute


def test_local_windows_forget_ended_windows_once_the_table_is_large(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    windows = LocalWindows(parse("1/second"), clock=lambda: now[0])
    monkeypatch.setattr(LocalWindows, "_SWEEP_AT", 100)
    for key_id in range(100):
        windows.hit(key_id, "GET /a")
    now[0] += 2
    windows.hit(1000, "GET /a")  # the table was full: ended windows are swept first
    assert len(windows._windows) == 1
