"""A TEXT_MESSAGE sent through the send API goes out through the studio's Twilio account (the fake
Twilio on loopback), and Twilio's signed status callback moves the message on to DELIVERED or
FAILED; without an account the message fails, saying why."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from studio_comms.background import build_worker
from studio_comms.db.database import Database
from studio_comms.messages.models import MessageStatusChange
from studio_comms.outbox.models import OutboxItem
from studio_comms.outbox.worker import Worker
from studio_comms.settings import Settings
from studio_comms.sms.models import SmsStatusReport
from tests.conftest import PUBLIC_URL, FixedClock
from tests.dbtools import orm
from tests.factories import World
from tests.sms.conftest import open_account
from tests.sms.fake_twilio import FakeTwilio, fake_twilio

MEMBER_NUMBER = "+4915112345678"
REMINDER = {
    "messageCategory": "APPOINTMENT",
    "communicationChannel": "TEXT_MESSAGE",
    "content": "Yoga starts at 18:00. See you!",
}


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with fake_twilio() as started:
        yield started


@pytest.fixture
def settings(settings: Settings, fake: FakeTwilio) -> Settings:
    return settings.model_copy(update={"twilio_api_url": fake.url})


@pytest.fixture
def twilio(fake: FakeTwilio, served: str) -> FakeTwilio:
    fake.public_url = PUBLIC_URL
    fake.app_url = served
    return fake


@pytest.fixture
def worker(settings: Settings, db: Database, clock: FixedClock) -> Iterator[Worker]:
    built = build_worker(settings, db, clock=clock, listen=False)
    yield built
    built.close()


def _member_with_a_phone(admin: TestClient, world: World) -> None:
    body = {"firstName": "Erika", "lastName": "Mustermann", "phoneNumber": MEMBER_NUMBER}
    assert admin.put(f"/admin/v1/studios/{world.studio_a}/customers/1", json=body).status_code in (200, 201)


def _status(api: TestClient, message_id: int) -> list[str]:
    return [change["status"] for change in api.get(f"/v1/messages/{message_id}").json()["statusHistory"]]


def test_a_text_message_goes_out_through_twilio_and_its_callback_delivers_it(
    api: TestClient, admin: TestClient, world: World, twilio: FakeTwilio, worker: Worker
) -> None:
    account = open_account(admin, twilio, world.studio_a)
    _member_with_a_phone(admin, world)
    accepted = api.post("/v1/communications/1/messages", json=REMINDER)
    assert accepted.status_code == 202, accepted.text
    message_id = accepted.json()["messageId"]
    worker.drain()
    [sent] = twilio.messages
    assert sent.account_sid == account.account_sid
    assert sent.form["To"] == MEMBER_NUMBER
    assert sent.form["Body"] == REMINDER["content"]
    assert sent.form["StatusCallback"] == account.status_url
    read = api.get(f"/v1/messages/{message_id}").json()
    assert read["status"] == "SENT"
    assert read["providerMessageId"] == sent.sid
    assert twilio.report_status(sent, "sent").status_code < 300  # SENT already: nothing changes
    assert twilio.report_status(sent, "delivered").status_code < 300
    assert _status(api, message_id) == ["QUEUED", "SENT", "DELIVERED"]


def test_an_undelivered_callback_fails_the_message(
    api: TestClient, admin: TestClient, world: World, twilio: FakeTwilio, worker: Worker
) -> None:
    open_account(admin, twilio, world.studio_a)
    _member_with_a_phone(admin, world)
    message_id = api.post("/v1/communications/1/messages", json=REMINDER).json()["messageId"]
    worker.drain()
    [sent] = twilio.messages
    assert twilio.report_status(sent, "undelivered", error_code="30003").status_code < 300
    assert _status(api, message_id) == ["QUEUED", "SENT", "FAILED"]


def test_without_a_twilio_account_the_message_fails_saying_why(
    api: TestClient, admin: TestClient, world: World, twilio: FakeTwilio, worker: Worker
) -> None:
    _member_with_a_phone(admin, world)
    message_id = api.post("/v1/communications/1/messages", json=REMINDER).json()["messageId"]
    worker.drain()
    assert twilio.messages == []
    read = api.get(f"/v1/messages/{message_id}").json()
    assert read["status"] == "FAILED"
    assert "no SMS provider configured" in str(read["statusHistory"][-1])


def _rows(db: Database) -> dict[str, int]:
    with orm(db) as session:
        return {
            table.__tablename__: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in (SmsStatusReport, OutboxItem, MessageStatusChange)
        }


def test_a_replayed_status_callback_adds_no_rows(
    api: TestClient, admin: TestClient, db: Database, world: World, twilio: FakeTwilio, worker: Worker
) -> None:
    """Twilio retries a callback it got no answer to, and its signature has no timestamp: the same
    MessageSid and MessageStatus, signed alike, may arrive again at any time."""
    open_account(admin, twilio, world.studio_a)
    _member_with_a_phone(admin, world)
    message_id = api.post("/v1/communications/1/messages", json=REMINDER).json()["messageId"]
    worker.drain()
    [sent] = twilio.messages
    for status in ("sent", "delivered"):
        assert twilio.report_status(sent, status).status_code < 300
    before = _rows(db)
    for status in ("sent", "delivered", "delivered"):
        assert twilio.report_status(sent, status).status_code < 300  # answered alike: Twilio stops
    assert _rows(db) == before
    assert _status(api, message_id) == ["QUEUED", "SENT", "DELIVERED"]
    with orm(db) as session:
        contents = session.scalars(
            select(OutboxItem.content).where(OutboxItem.event_type == "MESSAGE_STATUS_CHANGED")
        ).all()
    assert [c["status"] for c in contents if c is not None and c["messageId"] == message_id] == [
        "SENT",
        "DELIVERED",
    ]
    with orm(db) as session:
        reports = session.scalars(
            select(SmsStatusReport.provider_status).where(SmsStatusReport.provider_message_id == sent.sid)
        ).all()
    assert sorted(reports) == ["delivered", "sent"]
