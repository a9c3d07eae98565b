"""Quiet hours: a marketing message due inside them waits (DEFERRED) and goes out after; the
operator sets them per category; CONTRACT and APPOINTMENT are never deferred."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from studio_comms.core.vocabulary import MessageCategory
from studio_comms.messages.quiet import DEFAULT_QUIET_HOURS, quiet_until
from studio_comms.outbox.worker import Worker
from tests.conftest import FixedClock
from tests.factories import World
from tests.messages.conftest import message, send, set_preference, statuses
from tests.smtp_server import SmtpServer

BERLIN = ZoneInfo("Europe/Berlin")


def test_a_newsletter_at_night_waits_until_the_morning(
    api: TestClient, worker: Worker, smtp: SmtpServer, clock: FixedClock
) -> None:
    clock.now = datetime(2026, 11, 27, 20, 30, tzinfo=UTC)  # 21:30 in Berlin
    set_preference(api, 1, "NEWSLETTER", "EMAIL", active=True)
    newsletter = send(api, messageCategory="NEWSLETTER")
    appointment = send(api, 2)
    worker.drain()
    assert [a.recipients for a in smtp.arrived] == [["member2@example.org"]]
    assert statuses(api, appointment["messageId"]) == ["QUEUED", "SENT"]
    read = message(api, newsletter["messageId"])
    assert read["status"] == "DEFERRED"
    assert read["statusReason"] == "quiet hours until 2026-11-28T07:00+00:00"
    clock.now = datetime(2026, 11, 28, 6, 59, tzinfo=UTC)
    worker.drain()
    assert len(smtp.arrived) == 1
    clock.now = datetime(2026, 11, 28, 7, 0, 1, tzinfo=UTC)  # 08:00:01 in Berlin
    worker.drain()
    assert len(smtp.arrived) == 2
    assert statuses(api, newsletter["messageId"]) == ["QUEUED", "DEFERRED", "SENT"]
    thread = api.get(f"/v1/communications/1/threads/{newsletter['threadId']}").json()
    events = thread["communications"][0]["deliveryEvents"]
    assert [event["status"] for event in events] == ["QUEUED", "DEFERRED", "SENT"]


def test_the_operator_sets_quiet_hours_per_category(
    api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer, clock: FixedClock
) -> None:
    url = f"/admin/v1/studios/{world.studio_a}/message-settings"
    defaults = admin.get(url).json()
    assert defaults["quietHoursDefault"] is True
    assert defaults["emailFrom"] == "news@studio.example"
    assert {(q["messageCategory"], q["start"], q["end"]) for q in defaults["quietHours"]} == {
        ("NEWSLETTER", "21:00", "08:00"),
        ("LOYALTY_PROGRAM", "21:00", "08:00"),
    }
    body = {
        "emailFrom": "hello@studio-a.example",
        "quietHours": [{"messageCategory": "GENERAL", "start": "12:00", "end": "14:00"}],
    }
    response = admin.put(url, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["quietHoursDefault"] is False
    clock.now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # 13:00 in Berlin
    general = send(api, messageCategory="GENERAL")
    worker.drain()
    assert smtp.arrived == []
    assert message(api, general["messageId"])["status"] == "DEFERRED"
    clock.now = datetime(2026, 11, 27, 13, 0, 1, tzinfo=UTC)
    worker.drain()
    [arrived] = smtp.arrived
    assert arrived.mail["From"] == "Studio A <hello@studio-a.example>"


def test_contract_and_appointment_cannot_have_quiet_hours(admin: TestClient, world: World) -> None:
    url = f"/admin/v1/studios/{world.studio_a}/message-settings"
    for category in ("CONTRACT", "APPOINTMENT"):
        body = {"quietHours": [{"messageCategory": category, "start": "21:00", "end": "08:00"}]}
        response = admin.put(url, json=body)
        assert response.status_code == 400
        assert response.json()["errorCode"] == "QUIET_HOURS_NOT_ALLOWED"
        assert response.json()["reference"] == "quietHours[0].messageCategory"
    bad = admin.put(
        url, json={"quietHours": [{"messageCategory": "GENERAL", "start": "25:00", "end": "08:00"}]}
    )
    assert bad.status_code == 400
    assert admin.put(url, json={"emailFrom": "not an address"}).status_code == 400
    assert admin.get("/admin/v1/studios/999999/message-settings").status_code == 404


def test_no_quiet_hours_at_all_when_the_operator_lists_none(
    api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer, clock: FixedClock
) -> None:
    assert (
        admin.put(f"/admin/v1/studios/{world.studio_a}/message-settings", json={"quietHours": []}).status_code
        == 200
    )
    clock.now = datetime(2026, 11, 27, 22, 0, tzinfo=UTC)
    set_preference(api, 1, "NEWSLETTER", "EMAIL", active=True)
    send(api, messageCategory="NEWSLETTER")
    worker.drain()
    assert len(smtp.arrived) == 1


@pytest.mark.parametrize(
    ("local", "expected_end"),
    [
        (datetime(2026, 11, 27, 21, 0), datetime(2026, 11, 28, 8, 0)),
        (datetime(2026, 11, 27, 23, 59), datetime(2026, 11, 28, 8, 0)),
        (datetime(2026, 11, 28, 0, 30), datetime(2026, 11, 28, 8, 0)),
        (datetime(2026, 11, 28, 7, 59), datetime(2026, 11, 28, 8, 0)),
        (datetime(2026, 11, 28, 8, 0), None),
        (datetime(2026, 11, 27, 20, 59), None),
        # The night the clocks go back (25 hours): 08:00 local is still the end.
        (datetime(2026, 10, 24, 22, 0), datetime(2026, 10, 25, 8, 0)),
    ],
)
def test_quiet_until_in_the_studios_zone(local: datetime, expected_end: datetime | None) -> None:
    now = local.replace(tzinfo=BERLIN).astimezone(UTC)
    for category in (MessageCategory.NEWSLETTER, MessageCategory.LOYALTY_PROGRAM):
        end = quiet_until(DEFAULT_QUIET_HOURS, category, now, BERLIN)
        assert end == (expected_end.replace(tzinfo=BERLIN).astimezone(UTC) if expected_end else None)
    for category in (MessageCategory.CONTRACT, MessageCategory.APPOINTMENT, MessageCategory.GENERAL):
        assert quiet_until(DEFAULT_QUIET_HOURS, category, now, BERLIN) is None


def test_a_daytime_window_and_an_empty_one() -> None:
    windows = {MessageCategory.GENERAL: ("12:00", "14:00"), MessageCategory.NEWSLETTER: ("09:00", "09:00")}
    noon = datetime(2026, 11, 27, 12, 30, tzinfo=BERLIN)
    assert quiet_until(windows, MessageCategory.GENERAL, noon, BERLIN) == noon.replace(hour=14, minute=0)
    assert quiet_until(windows, MessageCategory.GENERAL, noon + timedelta(hours=2), BERLIN) is None
    assert quiet_until(windows, MessageCategory.NEWSLETTER, noon.replace(hour=9), BERLIN) is None
