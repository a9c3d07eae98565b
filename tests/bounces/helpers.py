"""Sending a real e-mail to report on, and reading what the reports changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from studio_comms.outbox.worker import Worker

FEEDBACK = "/admin/v1/mail-feedback"
UNATTRIBUTED = "/admin/v1/mail-feedback/unattributed"
SAMPLES = Path(__file__).parent / "samples"
PERMISSION = "/v1/communications/{}/communication-permission"
PREFS = "/v1/communications/{}/communication-preferences"
HISTORY = "/v1/communications/{}/communication-preferences/history"
SUPPRESSIONS = "/admin/v1/studios/{}/customers/{}/suppressions"
RFC822 = {"Content-Type": "message/rfc822"}


def sample(name: str, message_id: str) -> bytes:
    """A sample report quoting ``message_id`` as the returned message's Message-ID."""
    return (SAMPLES / f"{name}.eml").read_bytes().replace(b"{MESSAGE_ID}", message_id.encode())


def sent(
    api: TestClient, worker: Worker, customer_id: int = 1, category: str = "APPOINTMENT"
) -> tuple[int, str]:
    """An e-mail sent to the customer through the worker and the SMTP server: (id, Message-ID)."""
    body = {
        "messageCategory": category,
        "communicationChannel": "EMAIL",
        "subject": "Your class tomorrow",
        "content": "Yoga starts at 18:00.",
    }
    accepted = api.post(f"/v1/communications/{customer_id}/messages", json=body)
    assert accepted.status_code == 202, accepted.text
    message_id: int = accepted.json()["messageId"]
    worker.drain()
    header: str = api.get(f"/v1/messages/{message_id}").json()["messageIdHeader"]
    assert header, "the worker sent it"
    return message_id, header


def permitted(api: TestClient, customer_id: int, category: str, channel: str = "EMAIL") -> dict[str, Any]:
    response = api.get(
        PERMISSION.format(customer_id), params={"messageCategory": category, "communicationChannel": channel}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def entries(api: TestClient, customer_id: int, source: str) -> list[dict[str, Any]]:
    found = api.get(HISTORY.format(customer_id)).json()["result"]
    return [entry for entry in found if entry["source"] == source]


def untouched(
    api: TestClient, admin: TestClient, studio_id: int, customer_ids: tuple[int, ...] = (1, 2, 3)
) -> None:
    """No suppression, no BOUNCE or COMPLAINT ledger entry, e-mail still permitted."""
    for customer_id in customer_ids:
        assert admin.get(SUPPRESSIONS.format(studio_id, customer_id)).json() == []
        assert entries(api, customer_id, "BOUNCE") == []
        assert entries(api, customer_id, "COMPLAINT") == []
        assert permitted(api, customer_id, "GENERAL")["permitted"] is True
