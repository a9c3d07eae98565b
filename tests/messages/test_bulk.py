"""Bulk: each member decided like a single message, refusals reported per member, placeholders
filled in (HTML escaped), progress counted by status. Placeholders themselves: test_placeholders."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from studio_comms.db.database import Database
from studio_comms.outbox.worker import Worker
from tests.conftest import FixedClock
from tests.factories import World, make_customer
from tests.messages.conftest import message, set_preference
from tests.smtp_server import SmtpServer


def bulk(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customerIds": [1, 2, 3],
        "messageCategory": "APPOINTMENT",
        "communicationChannel": "EMAIL",
        "subject": "Hello {{ firstName }}",
        "content": "Hello {{ firstName }}, {{ studioName }} has new classes.",
    }
    body.update(overrides)
    return body


def test_bulk_sends_personalised_messages_and_reports_refusals_per_member(
    api: TestClient, worker: Worker, smtp: SmtpServer, db: Database, clock: FixedClock, world: World
) -> None:
    with db.transaction() as tx:
        make_customer(tx, world.studio_a, 5, now=clock.now, firstName="Max", email=None)
    response = api.post("/v1/messages", json=bulk(customerIds=[1, 2, 3, 5, 999, world.only_in_b]))
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["accepted"] == 3
    assert accepted["refused"] == [
        {"customerId": 5, "rule": "NO_ADDRESS"},
        {"customerId": 999, "rule": "CUSTOMER_NOT_FOUND"},
        # Another studio's customer does not exist for this key.
        {"customerId": world.only_in_b, "rule": "CUSTOMER_NOT_FOUND"},
    ]
    batch_url = f"/v1/messages/batches/{accepted['batchId']}"
    progress = api.get(batch_url).json()
    assert (progress["accepted"], progress["refused"], progress["statusCounts"]) == (3, 3, {"QUEUED": 3})
    worker.drain()
    assert api.get(batch_url).json()["statusCounts"] == {"SENT": 3}
    assert sorted(a.recipients[0] for a in smtp.arrived) == [f"member{n}@example.org" for n in (1, 2, 3)]
    mail = smtp.arrived[0].mail
    assert mail["Subject"] == "Hello Erika"
    assert "Hello Erika, Studio A has new classes." in mail.get_body(("plain",)).get_content()
    # Each message became its member's OUTGOING communication when it was sent.
    threads = api.get("/v1/communications/2/threads").json()["result"]
    [thread] = threads
    timeline = api.get(f"/v1/communications/2/threads/{thread['threadId']}").json()
    [communication] = timeline["communications"]
    assert communication["subject"] == "Hello Erika"
    assert [e["status"] for e in communication["deliveryEvents"]] == ["QUEUED", "SENT"]
    assert api.get(batch_url, headers={"X-API-KEY": world.key_b}).status_code == 404


def test_refused_decisions_are_listed_with_their_rule(
    api: TestClient, admin: TestClient, world: World
) -> None:
    set_preference(api, 1, "NEWSLETTER", "EMAIL", active=True)
    base = f"/admin/v1/studios/{world.studio_a}/customers"
    assert admin.put(f"{base}/3/suppressions/EMAIL", json={"reason": "HARD_BOUNCE"}).status_code == 200
    response = api.post("/v1/messages", json=bulk(messageCategory="NEWSLETTER"))
    assert response.status_code == 202
    assert response.json()["accepted"] == 1
    assert response.json()["refused"] == [
        {"customerId": 2, "rule": "STUDIO_DEFAULT"},
        {"customerId": 3, "rule": "BLOCKED"},
    ]


def test_html_placeholders_are_escaped_and_anything_else_in_braces_is_400(
    api: TestClient, worker: Worker, smtp: SmtpServer, db: Database, clock: FixedClock, world: World
) -> None:
    with db.transaction() as tx:
        make_customer(tx, world.studio_a, 1, now=clock.now, firstName="<script>x</script>")
    body = bulk(customerIds=[1], html="<p>Hi {{ firstName }}</p>")
    assert api.post("/v1/messages", json=body).status_code == 202
    worker.drain()
    mail = smtp.arrived[0].mail
    assert "<p>Hi &lt;script&gt;x&lt;/script&gt;</p>" in mail.get_body(("html",)).get_content()
    assert "Hello <script>x</script>," in mail.get_body(("plain",)).get_content()
    for content in (
        "{{ firstName",  # not closed
        "{{ firstname }}",  # a typo
        "{{ firstName.__class__.__mro__ }}",
        "{{ members }}",
        "{{ loop.index }}",
        "{% endfor %}{{ members }}{% for m in members %}",
        "{# a comment #}",
    ):
        response = api.post("/v1/messages", json=bulk(content=content))
        assert response.status_code == 400, content
        assert (response.json()["errorCode"], response.json()["reference"]) == ("TEMPLATE_INVALID", "content")
    for field in ("subject", "html"):
        response = api.post("/v1/messages", json=bulk(**{field: "Hi {{ nickname }}"}))
        assert (response.status_code, response.json()["reference"]) == (400, field)
        assert response.json()["errorCode"] == "TEMPLATE_INVALID"


def test_bulk_requests_out_of_bounds_are_400(api: TestClient) -> None:
    assert api.post("/v1/messages", json=bulk(customerIds=list(range(1, 10_002)))).status_code == 400
    assert api.post("/v1/messages", json=bulk(customerIds=[])).status_code == 400
    assert api.post("/v1/messages", json=bulk(customerIds=[1, 1])).status_code == 400
    no_subject = bulk()
    del no_subject["subject"]
    assert api.post("/v1/messages", json=no_subject).json()["reference"] == "subject"


def test_a_bulk_message_has_no_thread_until_it_is_taken_up(api: TestClient, worker: Worker) -> None:
    response = api.post("/v1/messages", json=bulk(customerIds=[1]))
    batch = api.get(f"/v1/messages/batches/{response.json()['batchId']}").json()
    assert batch["statusCounts"] == {"QUEUED": 1}
    worker.drain()
    threads = api.get("/v1/communications/1/threads").json()["result"]
    assert len(threads) == 1
    # The message names its communication once sent.
    communication = api.get(f"/v1/communications/1/threads/{threads[0]['threadId']}").json()[
        "communications"
    ][0]
    message_id = communication["deliveryEvents"][0]["messageId"]
    read = message(api, message_id)
    assert (read["threadId"], read["communicationId"]) == (
        threads[0]["threadId"],
        communication["communicationId"],
    )
    assert read["batchId"] == response.json()["batchId"]


def test_many_members_are_written_in_chunks_and_none_is_lost(
    api: TestClient, worker: Worker, smtp: SmtpServer, db: Database, clock: FixedClock, world: World
) -> None:
    members = list(range(10, 24))  # 14: statements of 10, 3 and 1 rows
    with db.transaction() as tx:
        for number in members:
            make_customer(tx, world.studio_a, number, now=clock.now, firstName=f"M{number}")
    response = api.post("/v1/messages", json=bulk(customerIds=members, content="Hi {{ firstName }}"))
    assert response.json()["accepted"] == len(members)
    batch_url = f"/v1/messages/batches/{response.json()['batchId']}"
    assert api.get(batch_url).json()["statusCounts"] == {"QUEUED": len(members)}
    worker.drain()
    assert api.get(batch_url).json()["statusCounts"] == {"SENT": len(members)}
    arrived = {
        a.recipients[0]: a.mail.get_body(("plain",)).get_content().split("\n")[0].rstrip()
        for a in smtp.arrived
    }
    assert arrived == {f"member{n}@example.org": f"Hi M{n}" for n in members}
