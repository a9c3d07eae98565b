"""Webhook tests: a real receiver on loopback and an in-process worker driven by the fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from studio_comms.background import build_worker
from studio_comms.db.database import Database
from studio_comms.outbox.worker import Worker
from studio_comms.settings import Settings
from tests.conftest import FixedClock
from tests.receiver import Receiver, running_receiver


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The receiver listens on loopback: private networks must be allowed for these tests.
    return settings.model_copy(
        update={"webhook_allow_private_networks": True, "webhook_timeout_seconds": 1.0}
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def worker(settings: Settings, db: Database, clock: FixedClock) -> Iterator[Worker]:
    """Runs in the test's thread on the test's (rolled-back) connection: call ``drain()``."""
    built = build_worker(settings, db, clock=clock, listen=False)
    yield built
    built.close()


def subscribe(api: TestClient, url: str, **fields: Any) -> dict[str, Any]:
    response = api.post("/v1/webhooks", json={"url": url, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def later(clock: FixedClock, worker: Worker, seconds: float) -> int:
    """Move time on and run whatever became due."""
    clock.now += timedelta(seconds=seconds)
    return worker.drain()


def set_preference(api: TestClient, customer_id: int, *, active: bool) -> None:
    body = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": active}]}
    ]
    response = api.put(f"/v1/communications/{customer_id}/communication-preferences", json=body)
    assert response.status_code == 200, response.text


def deliveries(api: TestClient, webhook_id: int) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = api.get(f"/v1/webhooks/{webhook_id}/deliveries").json()["result"]
    return result


def dead_delivery(api: TestClient, receiver: Receiver, worker: Worker, clock: FixedClock) -> int:
    """A subscription whose one delivery failed every attempt of the default schedule; its id."""
    webhook_id: int = subscribe(api, receiver.url)["webhookId"]
    receiver.always_fail = True
    set_preference(api, 1, active=True)
    worker.drain()
    for _ in range(8):  # seven retries over about a day, then no more
        later(clock, worker, 40_000)
    assert deliveries(api, webhook_id)[0]["state"] == "DEAD"
    return webhook_id
