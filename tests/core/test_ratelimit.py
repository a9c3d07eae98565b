"""Rate limits per API key and endpoint: 429 ErrorResponse with Retry-After; shared through Redis."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

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
