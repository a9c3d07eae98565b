"""Never twice because of us: what the SMTP server took is recorded SENT, whatever the limits say
now; a temporary refusal or a crash on the last attempt ends FAILED, never QUEUED for ever."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from studio_comms.background import build_worker
from studio_comms.db.database import Database
from studio_comms.messages.models import Message
from studio_comms.outbox.models import OutboxItem
from studio_comms.outbox.worker import Worker
from studio_comms.settings import Settings
from tests.conftest import FixedClock
from tests.dbtools import orm
from tests.messages.conftest import message, send, statuses
from tests.smtp_server import SmtpServer

# Two attempts: the first, and one retry 10 s after it.
RETRY = 10


@pytest.fixture
def retrying(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_retry_schedule": (RETRY,)})


@pytest.fixture
def worker(retrying: Settings, db: Database, clock: FixedClock) -> Iterator[Worker]:
    built = build_worker(retrying, db, clock=clock, listen=False)
    yield built
    built.close()


def _every_attempt(worker: Worker, clock: FixedClock, attempts: int = 2) -> None:
    for _ in range(attempts):
        worker.drain()
        clock.now += timedelta(seconds=RETRY * 2)


def _status_events(db: Database, message_id: int) -> list[tuple[str, str]]:
    """The MESSAGE_STATUS_CHANGED events of the message: (previous status, status)."""
    with orm(db) as session:
        contents = session.scalars(
            select(OutboxItem.content).where(OutboxItem.event_type == "MESSAGE_STATUS_CHANGED")
        ).all()
    found: list[dict[str, Any]] = [c for c in contents if c is not None and c["messageId"] == message_id]
    return [(c["previousStatus"], c["status"]) for c in found]


def test_content_over_todays_limit_that_the_server_took_is_sent_once_and_recorded_sent(
    api: TestClient, db: Database, worker: Worker, smtp: SmtpServer, clock: FixedClock
) -> None:
    """Recording after the server's 250 validated the text again: it raised, the attempt counted
    as failed, and the message went out on every attempt (issue 22: 5 times, then FAILED)."""
    body = {"customerIds": [1], "messageCategory": "APPOINTMENT", "communicationChannel": "EMAIL",
            "subject": "Hello", "content": "Hello {{ firstName }}"}  # fmt: skip
    response = api.post("/v1/messages", json=body)
    assert response.status_code == 202, response.text
    long_text = "x" * 100_001  # what a rendering (or an older, looser limit) let through
    with orm(db) as session:
        session.execute(update(Message).values(content=long_text))
        session.commit()
        [message_id] = session.scalars(select(Message.id)).all()
    _every_attempt(worker, clock, attempts=3)
    assert len(smtp.arrived) == 1
    read = message(api, message_id)
    assert (read["status"], read["attempts"]) == ("SENT", 1)
    assert statuses(api, message_id) == ["QUEUED", "SENT"]
    # Its timeline entry keeps the whole text it was sent with.
    thread = api.get(f"/v1/communications/1/threads/{read['threadId']}").json()
    assert thread["communications"][0]["content"] == long_text


def test_a_temporary_refusal_on_the_last_attempt_fails_the_message(
    api: TestClient, db: Database, worker: Worker, smtp: SmtpServer, clock: FixedClock
) -> None:
    smtp.inbox.refuse_with = "451 4.3.0 Try again later"
    accepted = send(api)
    worker.drain()
    assert message(api, accepted["messageId"])["status"] == "QUEUED"
    clock.now += timedelta(seconds=RETRY * 2)
    worker.drain()  # the last attempt
    read = message(api, accepted["messageId"])
    assert (read["status"], read["attempts"]) == ("FAILED", 2)
    assert read["statusReason"].startswith("451")
    assert statuses(api, accepted["messageId"]) == ["QUEUED", "FAILED"]
    assert _status_events(db, accepted["messageId"]) == [("QUEUED", "FAILED")]
    # Its queue item is finished: nothing is tried again.
    with orm(db) as session:
        [item] = session.scalars(select(OutboxItem).where(OutboxItem.kind == "message")).all()
    assert item.completed_at is not None
    clock.now += timedelta(days=2)
    worker.drain()
    assert smtp.arrived == []
    assert message(api, accepted["messageId"])["attempts"] == 2


def test_a_handler_crash_on_the_last_attempt_fails_the_message(
    api: TestClient, db: Database, retrying: Settings, clock: FixedClock, smtp: SmtpServer, tmp_path: Path
) -> None:
    """A DKIM key the signer cannot read: composing the e-mail raises inside the handler."""
    broken = tmp_path / "dkim.pem"
    broken.write_bytes(b"-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----\n")
    crashing = build_worker(
        retrying.model_copy(update={"dkim_private_key_path": broken}), db, clock=clock, listen=False
    )
    try:
        accepted = send(api)
        crashing.drain()
        read = message(api, accepted["messageId"])
        assert read["status"] == "QUEUED"
        assert read["statusReason"]
        clock.now += timedelta(seconds=RETRY * 2)
        crashing.drain()  # the last attempt
    finally:
        crashing.close()
    read = message(api, accepted["messageId"])
    assert read["status"] == "FAILED"
    assert statuses(api, accepted["messageId"]) == ["QUEUED", "FAILED"]
    assert _status_events(db, accepted["messageId"]) == [("QUEUED", "FAILED")]
    with orm(db) as session:
        [dead] = session.scalars(select(OutboxItem).where(OutboxItem.kind == "message")).all()
    assert dead.dead_at is not None
    assert dead.attempts == 2
    assert smtp.arrived == []
