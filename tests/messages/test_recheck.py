"""The decision is taken again just before sending; transports' refusals; the provider's word."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from studio_comms.background import build_worker
from studio_comms.db.database import Database
from studio_comms.messages.schemas import MessageStatus
from studio_comms.messages.service import record_provider_status
from studio_comms.outbox.worker import Worker
from studio_comms.settings import Settings
from tests.conftest import FixedClock
from tests.factories import World, make_customer
from tests.messages.conftest import message, send, set_preference, statuses
from tests.smtp_server import SmtpServer


def test_a_preference_switched_off_after_acceptance_suppresses_it_with_that_receipt(
    api: TestClient, worker: Worker, smtp: SmtpServer
) -> None:
    set_preference(api, 1, "NEWSLETTER", "EMAIL", active=True)
    accepted = send(api, messageCategory="NEWSLETTER")
    entry_id = set_preference(api, 1, "NEWSLETTER", "EMAIL", active=False)
    worker.drain()
    assert smtp.arrived == []
    read = message(api, accepted["messageId"])
    assert read["status"] == "SUPPRESSED"
    last = read["statusHistory"][-1]
    assert (last["previousStatus"], last["status"]) == ("QUEUED", "SUPPRESSED")
    assert (last["rule"], last["ledgerEntryId"]) == ("CUSTOMER_CHOICE", entry_id)
    thread = api.get(f"/v1/communications/1/threads/{accepted['threadId']}").json()
    assert [e["status"] for e in thread["communications"][0]["deliveryEvents"]] == ["QUEUED", "SUPPRESSED"]


def test_a_suppression_or_an_erasure_after_acceptance_stops_it(
    api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer
) -> None:
    blocked = send(api, 1)
    erased = send(api, 2)
    base = f"/admin/v1/studios/{world.studio_a}/customers"
    assert admin.put(f"{base}/1/suppressions/EMAIL", json={"reason": "HARD_BOUNCE"}).status_code == 200
    # An erasure recorded on another channel still stops every message to the member.
    assert admin.put(f"{base}/2/suppressions/LETTER", json={"reason": "ERASED"}).status_code == 200
    worker.drain()
    assert smtp.arrived == []
    for accepted, block_reason in ((blocked, "HARD_BOUNCE"), (erased, "ERASED")):
        last = message(api, accepted["messageId"])["statusHistory"][-1]
        assert (last["status"], last["rule"], last["blockReason"]) == ("SUPPRESSED", "BLOCKED", block_reason)


def test_a_text_message_without_an_sms_provider_fails_clearly(
    api: TestClient, db: Database, clock: FixedClock, world: World, worker: Worker
) -> None:
    with db.transaction() as tx:
        make_customer(tx, world.studio_a, 7, now=clock.now, phoneNumber="+4915112345678")
    accepted = send(api, 7, communicationChannel="TEXT_MESSAGE", subject=None)
    worker.drain()
    read = message(api, accepted["messageId"])
    assert read["status"] == "FAILED"
    assert read["statusReason"] == "no SMS provider configured for this studio"


def test_a_temporary_refusal_is_retried_and_a_permanent_one_fails(
    api: TestClient, worker: Worker, smtp: SmtpServer, clock: FixedClock
) -> None:
    smtp.inbox.refuse_with = "451 4.3.0 Try again later"
    accepted = send(api)
    worker.drain()
    read = message(api, accepted["messageId"])
    assert (read["status"], read["attempts"]) == ("QUEUED", 1)
    assert read["statusReason"].startswith("451")
    smtp.inbox.refuse_with = None
    clock.now += timedelta(seconds=10)
    worker.drain()
    assert statuses(api, accepted["messageId"]) == ["QUEUED", "SENT"]
    assert len(smtp.arrived) == 1

    smtp.inbox.refuse_with = "554 5.7.1 Rejected"
    rejected = send(api, 2)
    worker.drain()
    read = message(api, rejected["messageId"])
    assert read["status"] == "FAILED"
    assert read["statusReason"].startswith("554")


def test_send_at_in_the_future_waits(
    api: TestClient, worker: Worker, smtp: SmtpServer, clock: FixedClock
) -> None:
    later = clock.now + timedelta(hours=2)
    accepted = send(api, sendAt=later.isoformat())
    worker.drain()
    assert smtp.arrived == []
    assert message(api, accepted["messageId"])["status"] == "QUEUED"
    clock.now = later + timedelta(seconds=1)
    worker.drain()
    assert len(smtp.arrived) == 1


def test_without_smtp_mail_is_written_as_eml_files(
    api: TestClient, db: Database, clock: FixedClock, settings: Settings, tmp_path: Path
) -> None:
    unconfigured = settings.model_copy(update={"smtp_url": None, "var_dir": tmp_path})
    worker = build_worker(unconfigured, db, clock=clock, listen=False)
    try:
        accepted = send(api)
        worker.drain()
    finally:
        worker.close()
    [eml] = (tmp_path / "mail").glob("*.eml")
    text = eml.read_text()
    read = message(api, accepted["messageId"])
    assert read["status"] == "SENT"
    assert f"Message-ID: {read['messageIdHeader']}" in text
    assert "Subject: Your class tomorrow" in text


def test_the_providers_word_moves_a_sent_message_on(
    api: TestClient, worker: Worker, db: Database, clock: FixedClock, world: World
) -> None:
    accepted = send(api)
    worker.drain()
    provider_id = message(api, accepted["messageId"])["providerMessageId"]
    with db.transaction() as tx:
        assert (
            record_provider_status(tx, world.studio_b, provider_id, MessageStatus.DELIVERED, now=clock.now)
            is None
        )
        found = record_provider_status(
            tx, world.studio_a, provider_id, MessageStatus.DELIVERED, now=clock.now
        )
        assert found == accepted["messageId"]
        # A repeat or a late report that does not fit changes nothing; a bounce after delivery does.
        record_provider_status(tx, world.studio_a, provider_id, MessageStatus.DELIVERED, now=clock.now)
        record_provider_status(
            tx,
            world.studio_a,
            provider_id,
            MessageStatus.BOUNCED,
            reason="550 5.1.1 unknown user",
            now=clock.now,
        )
        record_provider_status(tx, world.studio_a, provider_id, MessageStatus.FAILED, now=clock.now)
        assert (
            record_provider_status(tx, world.studio_a, "<nobody@x>", MessageStatus.DELIVERED, now=clock.now)
            is None
        )
    read = message(api, accepted["messageId"])
    assert [c["status"] for c in read["statusHistory"]] == ["QUEUED", "SENT", "DELIVERED", "BOUNCED"]
    assert read["statusReason"] == "550 5.1.1 unknown user"
