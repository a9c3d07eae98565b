"""Delivery tests: a real SMTP server on loopback and an in-process worker on the fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from studio_comms.background import build_worker
from studio_comms.db.database import Database
from studio_comms.outbox.worker import Worker
from studio_comms.settings import Settings
from tests.conftest import FixedClock
from tests.smtp_server import SmtpServer, running_smtp

APPOINTMENT = {
    "messageCategory": "APPOINTMENT",
    "communicationChannel": "EMAIL",
    "subject": "Your class tomorrow",
    "content": "Yoga starts at 18:00. See you!",
}


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with running_smtp() as server:
        yield server


@pytest.fixture
def settings(settings: Settings, smtp: SmtpServer) -> Settings:
    return settings.model_copy(
        update={
            "smtp_url": SecretStr(smtp.url()),
            "email_from": "news@studio.example",
            "webhook_allow_private_networks": True,
        }
    )


@pytest.fixture
def worker(settings: Settings, db: Database, clock: FixedClock) -> Iterator[Worker]:
    """Runs in the test's thread on the test's (rolled-back) connection: call ``drain()``."""
    built = build_worker(settings, db, clock=clock, listen=False)
    yield built
    built.close()


def send(api: TestClient, customer_id: int = 1, **overrides: Any) -> dict[str, Any]:
    body = {**APPOINTMENT, **overrides}
    response = api.post(f"/v1/communications/{customer_id}/messages", json=body)
    assert response.status_code == 202, response.text
    accepted: dict[str, Any] = response.json()
    return accepted


def message(api: TestClient, message_id: int) -> dict[str, Any]:
    response = api.get(f"/v1/messages/{message_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def statuses(api: TestClient, message_id: int) -> list[str]:
    return [change["status"] for change in message(api, message_id)["statusHistory"]]


def set_preference(api: TestClient, customer_id: int, category: str, channel: str, *, active: bool) -> int:
    """Returns the ledger entry id of the change."""
    body = [{"messageCategory": category, "channels": [{"communicationChannel": channel, "active": active}]}]
    response = api.put(f"/v1/communications/{customer_id}/communication-preferences", json=body)
    assert response.status_code == 200, response.text
    history = api.get(f"/v1/communications/{customer_id}/communication-preferences/history").json()
    entry_id: int = history["result"][0]["entryId"]
    return entry_id
