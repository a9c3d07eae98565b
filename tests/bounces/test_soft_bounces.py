"""Soft bounces from returned mail (issue 17 item 2): real samples from tests/bounces/corpus, each
about a message the service really sent (its Message-ID and recipient put in), counted per member,
one per message; the studio's limit (default 3 in 15 days) reached suppresses EMAIL with
SOFT_BOUNCED. Delay warnings and the sender's own failures never count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from studio_comms.outbox.worker import Worker
from tests.bounces.helpers import FEEDBACK, RFC822, SUPPRESSIONS, entries, permitted, sent
from tests.bounces.test_real_mail import about_our_message
from tests.conftest import FixedClock
from tests.factories import World
from tests.smtp_server import SmtpServer
from tests.web.helpers import checked, confirm_form, disabled, preference_link, review_form

FULL = "flufl/dsn_01.txt"  # a DSN: Action failed, mailbox full


def returned(api: TestClient, admin: TestClient, worker: Worker, file: str) -> dict[str, object]:
    """A new e-mail to member 1, then the sample reporting on it."""
    message_id, header = sent(api, worker)
    response = admin.post(FEEDBACK, content=about_our_message(file, header), headers=RFC822)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    assert body["messageId"] == message_id
    return body


def reasons(admin: TestClient, world: World) -> list[str]:
    return [s["reason"] for s in admin.get(SUPPRESSIONS.format(world.studio_a, 1)).json()]


@pytest.mark.parametrize(
    "file",
    [
        FULL,
        "bounceparser/quota-6.msg",  # 5.0.0 and "quota exceeded"
        "flufl/dsn_02.txt",  # failed 4.4.7: expired
        "bounceparser/long-smtp.msg",  # failed 4.4.7: expired
    ],
)
def test_the_third_real_soft_bounce_within_15_days_suppresses(
    api: TestClient, admin: TestClient, world: World, worker: Worker, clock: FixedClock, file: str
) -> None:
    for _ in range(2):
        body = returned(api, admin, worker, file)
        assert body["kind"] == "SOFT_BOUNCE"
        assert [r["suppressed"] for r in body["recipients"]] == [False]  # type: ignore[attr-defined]
        clock.now += timedelta(days=5)
    assert reasons(admin, world) == []
    body = returned(api, admin, worker, file)
    assert [r["suppressed"] for r in body["recipients"]] == [True]  # type: ignore[attr-defined]
    assert reasons(admin, world) == ["SOFT_BOUNCED"]
    assert permitted(api, 1, "GENERAL")["blockReason"] == "SOFT_BOUNCED"
    assert {e["messageCategory"] for e in entries(api, 1, "BOUNCE")} == {"APPOINTMENT", "CONTRACT", "GENERAL"}
    # Only the member whose address bounced.
    assert admin.get(SUPPRESSIONS.format(world.studio_a, 2)).json() == []


def test_the_same_report_twice_counts_once(
    api: TestClient, admin: TestClient, world: World, worker: Worker
) -> None:
    admin.put(f"/admin/v1/studios/{world.studio_a}/bounce-settings", json={"softBounceLimit": 2})
    _, header = sent(api, worker)
    for _ in range(3):
        response = admin.post(FEEDBACK, content=about_our_message(FULL, header), headers=RFC822)
        assert response.status_code == 200, response.text
    assert reasons(admin, world) == []
    returned(api, admin, worker, FULL)
    assert reasons(admin, world) == ["SOFT_BOUNCED"]


def test_three_over_more_than_15_days_do_not_suppress(
    api: TestClient, admin: TestClient, world: World, worker: Worker, clock: FixedClock
) -> None:
    for _ in range(3):
        returned(api, admin, worker, FULL)
        clock.now += timedelta(days=8)
    assert reasons(admin, world) == []


@pytest.mark.parametrize(
    "file",
    [
        "flufl/dsn_17.txt",  # Action: delayed (mailbox full, still trying): a warning
        "flufl/dsn_06.txt",  # Action: delayed
        "bounceparser/spam-rejection14.msg",  # the sender's SPF/HELO/PTR
        "bounceparser/spam-rejection43.msg",  # the sending IP on a blocklist
        "bounceparser/spam-rejection.msg",  # the content
        "bounceparser/message-too-large-2.msg",
    ],
)
def test_warnings_and_sender_side_failures_never_count(
    api: TestClient, admin: TestClient, world: World, worker: Worker, file: str
) -> None:
    admin.put(f"/admin/v1/studios/{world.studio_a}/bounce-settings", json={"softBounceLimit": 1})
    body = returned(api, admin, worker, file)
    assert [r["suppressed"] for r in body["recipients"]] == [False]  # type: ignore[attr-defined]
    assert reasons(admin, world) == []
    assert permitted(api, 1, "GENERAL")["permitted"] is True


def test_a_returned_message_and_the_smtp_answer_of_another_add_up(
    api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer
) -> None:
    admin.put(f"/admin/v1/studios/{world.studio_a}/bounce-settings", json={"softBounceLimit": 2})
    returned(api, admin, worker, FULL)
    smtp.inbox.refuse_rcpt["member1@example.org"] = "552 5.2.2 Mailbox full"
    accepted = api.post(
        "/v1/communications/1/messages",
        json={
            "messageCategory": "APPOINTMENT",
            "communicationChannel": "EMAIL",
            "subject": "Your class",
            "content": "Yoga at 18:00.",
        },
    )
    assert accepted.status_code == 202, accepted.text
    worker.drain()
    assert reasons(admin, world) == ["SOFT_BOUNCED"]


def test_the_member_opts_in_again_on_the_preference_center(
    api: TestClient, admin: TestClient, world: World, worker: Worker
) -> None:
    admin.put(f"/admin/v1/studios/{world.studio_a}/bounce-settings", json={"softBounceLimit": 1})
    returned(api, admin, worker, FULL)
    assert reasons(admin, world) == ["SOFT_BOUNCED"]
    link = preference_link(api, language="en")
    page = api.get(link).text
    # The paused e-mail boxes are explained, not locked; the studio's own (CONTRACT) stay locked.
    assert "paused: our e-mails to you kept coming back" in page
    assert disabled(page) == {"CONTRACT:EMAIL", "CONTRACT:LETTER"}
    assert "GENERAL:EMAIL" not in checked(page)
    review = api.post(f"{link}/review", data=review_form(page, checked(page) | {"GENERAL:EMAIL"}))
    assert review.status_code == 200, review.text
    save = api.post(f"{link}/save", data=confirm_form(review.text), follow_redirects=False)
    assert save.status_code == 303, save.text
    assert reasons(admin, world) == []
    assert permitted(api, 1, "APPOINTMENT")["permitted"] is True
    assert "GENERAL:EMAIL" in checked(api.get(save.headers["location"]).text)
    sources = [(e["messageCategory"], e["source"]) for e in entries(api, 1, "PREFERENCE_CENTER")]
    assert ("GENERAL", "PREFERENCE_CENTER") in sources


def test_a_hard_bounce_stays_locked_on_the_preference_center(
    api: TestClient, admin: TestClient, world: World, worker: Worker
) -> None:
    returned(api, admin, worker, "bounceparser/qmail.unknown.msg")
    assert reasons(admin, world) == ["BOUNCED"]
    page = api.get(preference_link(api, language="en")).text
    assert {"GENERAL:EMAIL", "NEWSLETTER:EMAIL", "APPOINTMENT:EMAIL"} <= disabled(page)
    assert "blocked: the address is unreachable" in page


def test_a_hard_bounce_replaces_a_soft_bounce_pause(
    api: TestClient, admin: TestClient, world: World, worker: Worker
) -> None:
    _, earlier = sent(api, worker)
    admin.put(f"/admin/v1/studios/{world.studio_a}/bounce-settings", json={"softBounceLimit": 1})
    returned(api, admin, worker, FULL)
    assert reasons(admin, world) == ["SOFT_BOUNCED"]
    # The earlier e-mail comes back: the address is dead. The member's opt-in must not lift that.
    hard = about_our_message("bounceparser/qmail.unknown.msg", earlier)
    assert admin.post(FEEDBACK, content=hard, headers=RFC822).status_code == 200
    assert reasons(admin, world) == ["BOUNCED"]
    body = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}
    ]
    answer = api.put("/v1/communications/1/communication-preferences", json=body)
    assert (answer.status_code, answer.json()["errorCode"]) == (409, "CHANNEL_SUPPRESSED")
    assert reasons(admin, world) == ["BOUNCED"]
