"""One message: accepted, recorded, sent over real SMTP, each status in history, events and timeline."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from studio_comms.db.database import Database
from studio_comms.outbox.models import OutboxItem
from studio_comms.outbox.worker import Worker
from tests.conftest import PUBLIC_URL
from tests.dbtools import orm
from tests.factories import World
from tests.messages.conftest import message, send, set_preference, statuses
from tests.receiver import running_receiver
from tests.smtp_server import SmtpServer


def _events(db: Database, event_type: str) -> list[dict[str, Any]]:
    with orm(db) as session:
        items = session.scalars(
            select(OutboxItem).where(OutboxItem.event_type == event_type).order_by(OutboxItem.id)
        )
        return [item.content or {} for item in items]


def test_an_accepted_message_is_recorded_as_an_outgoing_communication(api: TestClient) -> None:
    accepted = send(api)
    assert accepted["status"] == "QUEUED"
    assert accepted["authorization"]["permitted"] is True
    assert accepted["authorization"]["reason"] == "CUSTOMER_CHOICE" or accepted["authorization"][
        "reason"
    ] in {
        "STUDIO_DEFAULT",
        "STUDIO_ENFORCED",
    }
    thread = api.get(f"/v1/communications/1/threads/{accepted['threadId']}").json()
    [communication] = thread["communications"]
    assert communication["communicationId"] == accepted["communicationId"]
    assert communication["communicationDirection"] == "OUTGOING"
    assert communication["communicationChannel"] == "EMAIL"
    assert communication["authorization"]["enforcement"] == "REJECT"
    assert [event["status"] for event in communication["deliveryEvents"]] == ["QUEUED"]
    read = message(api, accepted["messageId"])
    assert read["status"] == "QUEUED"
    assert read["statusHistory"][0]["rule"] == accepted["authorization"]["reason"]


def test_the_worker_sends_it_over_smtp_with_the_studios_headers(
    api: TestClient, worker: Worker, smtp: SmtpServer, db: Database
) -> None:
    accepted = send(api)
    worker.drain()
    [arrived] = smtp.arrived
    mail = arrived.mail
    assert arrived.recipients == ["member1@example.org"]
    assert arrived.mail_from == "news@studio.example"
    assert mail["From"] == "Studio A <news@studio.example>"
    assert mail["To"] == "member1@example.org"
    assert mail["Subject"] == "Your class tomorrow"
    read = message(api, accepted["messageId"])
    assert read["status"] == "SENT"
    assert mail["Message-ID"] == read["messageIdHeader"] == read["providerMessageId"]
    assert read["messageIdHeader"].endswith("@studio.example>")
    # Every mail carries the member's preference-center link; appointments no unsubscribe header.
    body = mail.get_body(("plain",)).get_content()
    assert "Yoga starts at 18:00" in body
    assert f"{PUBLIC_URL}/preferences/" in body
    assert mail["List-Unsubscribe"] is None
    assert [c["status"] for c in read["statusHistory"]] == ["QUEUED", "SENT"]
    [event] = _events(db, "MESSAGE_STATUS_CHANGED")
    assert event["messageId"] == accepted["messageId"]
    assert (event["previousStatus"], event["status"]) == ("QUEUED", "SENT")
    thread = api.get(f"/v1/communications/1/threads/{accepted['threadId']}").json()
    delivery = thread["communications"][0]["deliveryEvents"]
    assert [entry["status"] for entry in delivery] == ["QUEUED", "SENT"]
    # A second drain finds nothing more to send.
    worker.drain()
    assert len(smtp.arrived) == 1


def test_an_existing_thread_records_it_and_an_unknown_one_is_404(api: TestClient) -> None:
    first = send(api)
    second = send(api, threadId=first["threadId"], subject="Follow-up")
    assert second["threadId"] == first["threadId"]
    thread = api.get(f"/v1/communications/1/threads/{first['threadId']}").json()
    assert len(thread["communications"]) == 2
    response = api.post("/v1/communications/1/messages", json={**_body(), "threadId": 999_999})
    assert response.status_code == 404
    assert response.json()["errorCode"] == "THREAD_NOT_FOUND"


def _body() -> dict[str, Any]:
    return {
        "messageCategory": "APPOINTMENT",
        "communicationChannel": "EMAIL",
        "subject": "Hi",
        "content": "Hello",
    }


def test_a_refused_decision_is_409_and_nothing_is_stored_in_either_recording_mode(
    api: TestClient, admin: TestClient, world: World, db: Database
) -> None:
    for mode in ("RECORD", "REJECT"):
        assert (
            admin.patch(f"/admin/v1/studios/{world.studio_a}", json={"consentEnforcement": mode}).status_code
            == 200
        )
        # NEWSLETTER is opt-in: off until the member switches it on.
        response = api.post(
            "/v1/communications/1/messages", json={**_body(), "messageCategory": "NEWSLETTER"}
        )
        assert response.status_code == 409, response.text
        assert response.json()["errorCode"] == "COMMUNICATION_NOT_PERMITTED"
        assert response.json()["reference"] == "communicationChannel"
    assert api.get("/v1/communications/1/threads").json()["result"] == []
    with orm(db) as session:
        assert session.scalars(select(OutboxItem).where(OutboxItem.kind == "message")).all() == []


def test_the_idempotency_key_answers_the_first_acceptance_again(api: TestClient, db: Database) -> None:
    headers = {"Idempotency-Key": "send-1"}
    first = api.post("/v1/communications/1/messages", json=_body(), headers=headers)
    again = api.post("/v1/communications/1/messages", json=_body(), headers=headers)
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    with orm(db) as session:
        assert len(session.scalars(select(OutboxItem).where(OutboxItem.kind == "message")).all()) == 1


def test_bad_requests_are_400_and_409(api: TestClient, client: TestClient, world: World) -> None:
    no_subject = {key: value for key, value in _body().items() if key != "subject"}
    response = api.post("/v1/communications/1/messages", json=no_subject)
    assert (response.status_code, response.json()["reference"]) == (400, "subject")
    response = api.post("/v1/communications/1/messages", json={**_body(), "communicationChannel": "LETTER"})
    assert response.status_code == 400
    response = api.post("/v1/communications/1/messages", json={**_body(), "content": " "})
    assert response.status_code == 400
    # Customer 1 has no phone number.
    response = api.post(
        "/v1/communications/1/messages", json={**_body(), "communicationChannel": "TEXT_MESSAGE"}
    )
    assert response.status_code == 409
    assert response.json()["errorCode"] == "CUSTOMER_HAS_NO_ADDRESS"
    assert api.post("/v1/communications/999/messages", json=_body()).status_code == 404


def test_another_studios_message_is_not_found(api: TestClient, client: TestClient, world: World) -> None:
    accepted = send(api)
    response = client.get(f"/v1/messages/{accepted['messageId']}", headers={"X-API-KEY": world.key_b})
    assert response.status_code == 404
    assert response.json()["errorCode"] == "MESSAGE_NOT_FOUND"
    assert api.get("/v1/messages/batches/12345").json()["errorCode"] == "MESSAGE_BATCH_NOT_FOUND"


def test_connections_are_reused_across_messages(api: TestClient, worker: Worker, smtp: SmtpServer) -> None:
    for customer_id in (1, 2, 3):
        send(api, customer_id)
    worker.drain()
    assert len(smtp.arrived) == 3
    assert smtp.inbox.sessions == 1


def test_statuses_in_order(api: TestClient, worker: Worker) -> None:
    accepted = send(api)
    worker.drain()
    assert statuses(api, accepted["messageId"]) == ["QUEUED", "SENT"]


def test_marketing_mail_carries_the_one_click_unsubscribe_that_works(
    api: TestClient, client: TestClient, worker: Worker, smtp: SmtpServer
) -> None:
    set_preference(api, 1, "NEWSLETTER", "EMAIL", active=True)
    send(api, messageCategory="NEWSLETTER", subject="November news", html="<p>Hello <b>Erika</b></p>")
    worker.drain()
    [arrived] = smtp.arrived
    mail = arrived.mail
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = mail["List-Unsubscribe"]
    assert link.startswith(f"<{PUBLIC_URL}/unsubscribe/")
    assert link.endswith(">")
    html = mail.get_body(("html",)).get_content()
    assert "<b>Erika</b>" in html
    assert f'href="{PUBLIC_URL}/preferences/' in html
    # The mail client's one-click POST (RFC 8058) switches the newsletter off.
    path = link[1:-1].removeprefix(PUBLIC_URL)
    response = client.post(
        path,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    permission = api.get(
        "/v1/communications/1/communication-permission",
        params={"messageCategory": "NEWSLETTER", "communicationChannel": "EMAIL"},
    ).json()
    assert permission["permitted"] is False


def test_each_status_change_is_a_webhook_event(api: TestClient, worker: Worker) -> None:
    with running_receiver() as receiver:
        response = api.post(
            "/v1/webhooks", json={"url": receiver.url, "eventTypes": ["MESSAGE_STATUS_CHANGED"]}
        )
        assert response.status_code == 201, response.text
        accepted = send(api)
        worker.drain()  # sends the message, then fans its event out and delivers it
        worker.drain()
        [received] = receiver.successes()
    body = received.json
    assert body["entityId"] == 1
    [entry] = body["payload"]
    assert entry["type"] == "MESSAGE_STATUS_CHANGED"
    assert entry["content"]["messageId"] == accepted["messageId"]
    assert (entry["content"]["previousStatus"], entry["content"]["status"]) == ("QUEUED", "SENT")
