"""Validation errors are logged and stored (``outbox.last_error``, ``statusReason``) without the values
they refused: a message's text and a member's first name reached all three before."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Connection, text

from studio_comms.communications.schemas import CommunicationThreadRequest
from studio_comms.core import errortext
from studio_comms.db.database import Database
from studio_comms.outbox.worker import Worker
from tests.conftest import FixedClock
from tests.factories import World, make_customer

PLANTED_NAME = "Plantedfirstname"
PLANTED_TEXT = "planted-message-text"


def test_a_described_validation_error_names_fields_and_rules_but_no_value() -> None:
    with pytest.raises(ValidationError) as caught:
        CommunicationThreadRequest.model_validate(
            {
                "communicationThreadStatus": "CREATED",
                "subject": f"Hi {PLANTED_NAME}",
                "content": PLANTED_TEXT + "x" * 100_001 + PLANTED_NAME,
                "communicationDirection": "OUTGOING",
                "communicationChannel": "NOT-A-CHANNEL " + PLANTED_NAME,
            }
        )
    assert PLANTED_NAME in str(caught.value)  # what pydantic itself says ...
    described = errortext.describe(caught.value)
    assert "content" in described
    assert "communicationChannel" in described
    assert "string_too_long" in described
    assert PLANTED_NAME not in described  # ... and what we keep of it
    assert PLANTED_TEXT not in described


def test_a_message_that_fails_validation_in_the_worker_keeps_no_text_or_name(
    api: TestClient, worker: Worker, db: Database, connection: Connection, clock: FixedClock,
    world: World, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """Rendered for the member, the content is over its limit (100 000 characters). Where sending
    validates rendered fields up front, it is refused at once, without quoting them; where it is
    accepted, what the server took is recorded SENT (never validated again, never failed and sent
    again), and nothing stored or logged quotes it."""
    with db.transaction() as tx:
        make_customer(tx, world.studio_a, 77, now=clock.now, firstName=PLANTED_NAME * 4)
    caplog.set_level(logging.INFO)
    content = PLANTED_TEXT + "x" * (100_000 - len(PLANTED_TEXT) - 20) + "{{ firstName }}"
    body = {
        "customerIds": [77],
        "messageCategory": "APPOINTMENT",
        "communicationChannel": "EMAIL",
        "subject": "Hello",
        "content": content,
    }
    response = api.post("/v1/messages", json=body)
    if response.status_code == 400:
        assert PLANTED_NAME not in response.text
        assert PLANTED_TEXT not in response.text
        return
    assert response.status_code == 202, response.text
    worker.drain()
    errors = connection.execute(text("SELECT last_error FROM outbox WHERE last_error IS NOT NULL")).scalars()
    reasons = connection.execute(
        text("SELECT status_reason FROM messages WHERE studio_id = :s AND status_reason IS NOT NULL"),
        {"s": world.studio_a},
    ).scalars()
    assert [*errors, *reasons] == []
    sent = connection.execute(text("SELECT status FROM messages WHERE studio_id = :s"), {"s": world.studio_a})
    assert sent.scalars().all() == ["SENT"]
    assert PLANTED_NAME not in caplog.text
    assert PLANTED_TEXT not in caplog.text
