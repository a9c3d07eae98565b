"""Validation errors are logged and stored (``outbox.last_error``, ``statusReason``) without the values
they refused: a message's text and a member's first name reached all three before."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Connection, text

from studio_comms.background import build_worker
from studio_comms.communications.schemas import CommunicationThreadRequest
from studio_comms.core import errortext
from studio_comms.db.database import Database
from studio_comms.messages import sending
from studio_comms.outbox.worker import Worker
from studio_comms.settings import Settings
from tests.conftest import FixedClock
from tests.factories import World, make_customer
from tests.messages.conftest import message, statuses
from tests.smtp_server import SmtpServer

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


def test_a_rendering_over_its_limit_is_refused_at_acceptance_without_quoting_it(
    api: TestClient, worker: Worker, db: Database, connection: Connection, clock: FixedClock,
    world: World, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """Rendered for the member, the content is over its limit (100 000 characters). It used to be
    accepted, then fail validation when recorded (after the server had taken it: sent again on
    every attempt); now the member is refused when the send is accepted, for single and bulk sends,
    and neither the refusal nor the logs quote the text or the name."""
    with db.transaction() as tx:
        make_customer(tx, world.studio_a, 77, now=clock.now, firstName=PLANTED_NAME * 4)
    caplog.set_level(logging.INFO)
    content = PLANTED_TEXT + "x" * (100_000 - len(PLANTED_TEXT) - 20) + "{{ firstName }}"
    single = {"messageCategory": "APPOINTMENT", "communicationChannel": "EMAIL", "subject": "Hello"}
    response = api.post("/v1/messages", json={**single, "customerIds": [77], "content": content})
    assert response.status_code == 202, response.text
    assert (response.json()["accepted"], response.json()["refused"]) == (
        0,
        [{"customerId": 77, "rule": "RENDERED_TOO_LONG"}],
    )
    refused = api.post("/v1/communications/77/messages", json={**single, "content": content})
    assert (refused.status_code, refused.json()["errorCode"]) == (400, "RENDERED_TOO_LONG")
    worker.drain()
    queued = connection.execute(
        text("SELECT COUNT(*) FROM messages WHERE studio_id = :s"), {"s": world.studio_a}
    ).scalar_one()
    assert queued == 0
    for answer in (response.text, refused.text, caplog.text):
        assert PLANTED_NAME not in answer
        assert PLANTED_TEXT not in answer


def test_a_validation_error_in_the_worker_keeps_no_value_in_last_error_status_reason_or_logs(
    api: TestClient, db: Database, connection: Connection, clock: FixedClock, settings: Settings,
    world: World, smtp: SmtpServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Issue 22's path, end to end: recording a sent message validated it again and raised a
    ValidationError quoting the text and the member's first name, which reached the item's
    ``last_error``, the message's ``statusReason`` and the log (a traceback's last line)."""
    with db.transaction() as tx:
        make_customer(tx, world.studio_a, 77, now=clock.now, firstName=PLANTED_NAME)
    body = {"messageCategory": "APPOINTMENT", "communicationChannel": "EMAIL",
            "subject": "Hi {{ firstName }}", "content": f"{PLANTED_TEXT} {{{{ firstName }}}}"}  # fmt: skip
    accepted = api.post("/v1/communications/77/messages", json=body)
    assert accepted.status_code == 202, accepted.text
    message_id = accepted.json()["messageId"]

    def revalidating(*_: Any, **__: Any) -> bool:
        # What recording did before: the record checked again, over its limit after rendering.
        CommunicationThreadRequest.model_validate(
            {
                "communicationThreadStatus": "CREATED",
                "subject": f"Hi {PLANTED_NAME}",
                "content": PLANTED_TEXT + "x" * 100_001 + PLANTED_NAME,
                "communicationDirection": "OUTGOING",
                "communicationChannel": "EMAIL",
            }
        )
        raise AssertionError("the record above is over its limit")

    monkeypatch.setattr(sending, "record_result", revalidating)
    caplog.set_level(logging.INFO)
    worker = build_worker(settings.model_copy(update={"webhook_retry_schedule": (10,)}), db, clock=clock,
                          listen=False)  # fmt: skip
    try:
        worker.drain()
        last_error = connection.execute(
            text("SELECT last_error FROM outbox WHERE kind = 'message' AND studio_id = :s"),
            {"s": world.studio_a},
        ).scalar_one()
        queued = message(api, message_id)
        clock.now += timedelta(seconds=20)
        worker.drain()  # the last attempt: FAILED, its reason stored
    finally:
        worker.close()
    failed = message(api, message_id)
    assert queued["status"] == "QUEUED"
    assert (failed["status"], statuses(api, message_id)) == ("FAILED", ["QUEUED", "FAILED"])
    reasons = [last_error, queued["statusReason"], failed["statusReason"]]
    reasons += [change.get("statusReason") or "" for change in failed["statusHistory"]]
    for kept in (last_error, failed["statusReason"]):
        assert "content" in kept, kept  # it still says what broke
        assert "string_too_long" in kept, kept
    for where in [*reasons, caplog.text]:
        assert PLANTED_NAME not in where
        assert PLANTED_TEXT not in where
    assert len(smtp.arrived) == 2  # the server took it each time: the rule above is why it matters
