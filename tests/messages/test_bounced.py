"""A hard bounce of a message we sent (its DSN quotes our Message-ID) moves that message to BOUNCED,
besides suppressing the member's e-mail (tests/bounces)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from studio_comms.outbox.worker import Worker
from tests.bounces.helpers import FEEDBACK, RFC822, sample
from tests.factories import World
from tests.messages.conftest import message, send, statuses


def test_a_hard_bounce_of_our_message_marks_it_bounced(
    api: TestClient, admin: TestClient, world: World, worker: Worker
) -> None:
    accepted = send(api)
    worker.drain()
    sent_id = message(api, accepted["messageId"])["messageIdHeader"]
    assert sent_id.startswith(f"<studio-comms.{world.studio_a}.")
    dsn = sample("dsn_hard", sent_id.strip("<>"))  # quoted without brackets
    answer = admin.post(FEEDBACK, content=dsn, headers=RFC822)
    assert answer.status_code == 200, answer.text
    assert answer.json()["kind"] == "HARD_BOUNCE"
    assert statuses(api, accepted["messageId"]) == ["QUEUED", "SENT", "BOUNCED"]


def test_a_soft_bounce_leaves_the_message_sent(
    api: TestClient, admin: TestClient, world: World, worker: Worker
) -> None:
    accepted = send(api)
    worker.drain()
    sent_id = message(api, accepted["messageId"])["messageIdHeader"]
    dsn = sample("dsn_soft", sent_id)
    assert admin.post(FEEDBACK, content=dsn, headers=RFC822).status_code == 200
    assert statuses(api, accepted["messageId"]) == ["QUEUED", "SENT"]
