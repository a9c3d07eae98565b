"""The operator's message settings are taken whole or refused: quiet hours as whole HH:MM times,
each category once; an internationalised From domain is sent in its ASCII form (IDNA) and arrives
over SMTP, a From address whose local part is not ASCII is refused up front."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from studio_comms.outbox.worker import Worker
from tests.factories import World
from tests.messages.conftest import message, send
from tests.smtp_server import SmtpServer

EVERY = ("GENERAL", "NEWSLETTER", "LOYALTY_PROGRAM")


def _settings(world: World) -> str:
    return f"/admin/v1/studios/{world.studio_a}/message-settings"


def _window(category: str = "NEWSLETTER", start: str = "21:00", end: str = "08:00") -> dict[str, str]:
    return {"messageCategory": category, "start": start, "end": end}


@pytest.mark.parametrize(
    ("quiet_hours", "code", "reference"),
    [
        ([_window(start="08:00\n")], "VALIDATION_FAILED", "quietHours[0].start"),
        ([_window(end=" 08:00")], "VALIDATION_FAILED", "quietHours[0].end"),
        ([_window(start="8:00")], "VALIDATION_FAILED", "quietHours[0].start"),
        ([_window(), _window(start="22:00")], "QUIET_HOURS_REPEATED", "quietHours[1].messageCategory"),
        ([_window(category) for category in EVERY] * 334, "VALIDATION_FAILED", "quietHours"),
    ],
)  # fmt: skip
def test_quiet_hours_are_matched_whole_once_per_category(
    admin: TestClient, world: World, quiet_hours: list[dict[str, Any]], code: str, reference: str
) -> None:
    response = admin.put(_settings(world), json={"quietHours": quiet_hours})
    assert response.status_code == 400, response.text
    assert response.json()["errorCode"] == code
    assert response.json()["reference"] == reference
    assert admin.get(_settings(world)).json()["quietHoursDefault"] is True  # nothing was stored


def test_an_idn_from_domain_is_sent_in_ascii_through_smtp(
    api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer
) -> None:
    stored = admin.put(_settings(world), json={"emailFrom": "info@bücher.example"})
    assert stored.status_code == 200, stored.text
    assert stored.json()["emailFrom"] == "info@xn--bcher-kva.example"
    accepted = send(api)
    worker.drain()
    assert message(api, accepted["messageId"])["status"] == "SENT"
    [arrived] = smtp.arrived
    assert arrived.mail_from == "info@xn--bcher-kva.example"
    assert arrived.mail["From"].endswith("<info@xn--bcher-kva.example>")


def test_a_from_address_with_a_non_ascii_local_part_is_refused(admin: TestClient, world: World) -> None:
    response = admin.put(_settings(world), json={"emailFrom": "jürgen@studio.example"})
    assert response.status_code == 400
    assert response.json()["reference"] == "emailFrom"
    assert admin.get(_settings(world)).json()["emailFromConfigured"] is False
