"""Bounces (RFC 3464) and complaints (RFC 5965) about messages the service sent, posted raw as an
MTA pipe posts them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from studio_comms.outbox.worker import Worker
from tests.assertions import assert_error
from tests.bounces.helpers import (
    FEEDBACK,
    PREFS,
    RFC822,
    SUPPRESSIONS,
    entries,
    permitted,
    sample,
    sent,
    untouched,
)
from tests.factories import World


def test_a_hard_bounce_blocks_email_with_bounced(
    api: TestClient, admin: TestClient, world: World, worker: Worker
) -> None:
    message_id, header = sent(api, worker)
    response = admin.post(FEEDBACK, content=sample("dsn_hard", header), headers=RFC822)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "kind": "HARD_BOUNCE",
        "studioId": world.studio_a,
        "messageId": message_id,
        "originalMessageId": header,
        # Final-Recipient in another case than the stored address: still member 1.
        "recipients": [
            {
                "address": "MEMBER1@Example.org",
                "status": "5.1.1",
                "reason": "USER_UNKNOWN",
                "customerIds": [1],
                "suppressed": True,
            }
        ],
    }
    decision = permitted(api, 1, "GENERAL")
    assert (decision["permitted"], decision["blockReason"]) == (False, "BOUNCED")
    assert admin.get(SUPPRESSIONS.format(world.studio_a, 1)).json()[0]["reason"] == "BOUNCED"
    bounce_entries = entries(api, 1, "BOUNCE")
    # Every EMAIL slot that was on (CONTRACT, APPOINTMENT, GENERAL) is now off, each with an entry.
    assert sorted(e["messageCategory"] for e in bounce_entries) == ["APPOINTMENT", "CONTRACT", "GENERAL"]
    assert all((e["previousActive"], e["active"]) == (True, False) for e in bounce_entries)
    assert bounce_entries[0]["actor"] == "dsn:dns; mail.studio-comms.example"
    assert bounce_entries[0]["requestId"] == header
    # Only EMAIL, only this member, only this studio.
    assert permitted(api, 1, "APPOINTMENT", "TEXT_MESSAGE")["permitted"] is True
    assert permitted(api, 2, "GENERAL")["permitted"] is True
    other_studio = api.get(
        "/v1/communications/1/communication-permission",
        params={"messageCategory": "GENERAL", "communicationChannel": "EMAIL"},
        headers={"X-API-KEY": world.key_b},
    )
    assert other_studio.json()["permitted"] is True


def test_a_soft_bounce_changes_nothing(
    api: TestClient, admin: TestClient, world: World, worker: Worker
) -> None:
    message_id, header = sent(api, worker)
    response = admin.post(FEEDBACK, content=sample("dsn_soft", header), headers=RFC822)
    assert response.status_code == 200, response.text
    assert response.json()["kind"] == "SOFT_BOUNCE"
    assert response.json()["messageId"] == message_id
    assert response.json()["recipients"][0] == {
        "address": "MEMBER1@Example.org",
        "status": "4.2.2",
        "reason": "MAILBOX_FULL",
        "customerIds": [1],
        "suppressed": False,
    }
    untouched(api, admin, world.studio_a)


def test_failed_with_a_transient_status_is_no_hard_bounce(
    api: TestClient, admin: TestClient, world: World, worker: Worker
) -> None:
    """Action says failed, Status says 4.x.x (a full mailbox after the MTA gave up): the address may
    work tomorrow. Issue 16's surviving breakage: such a DSN treated as a hard bounce."""
    message_id, header = sent(api, worker)
    raw = sample("dsn_hard", header).replace(b"Status: 5.1.1", b"Status: 4.2.2")
    assert b"Action: failed" in raw
    response = admin.post(FEEDBACK, content=raw, headers=RFC822)
    assert response.status_code == 200, response.text
    assert response.json()["kind"] == "SOFT_BOUNCE"
    assert response.json()["recipients"][0]["suppressed"] is False
    untouched(api, admin, world.studio_a)
    history = [c["status"] for c in api.get(f"/v1/messages/{message_id}").json()["statusHistory"]]
    assert history == ["QUEUED", "SENT"]


def test_a_forwarded_address_counts_through_original_recipient(
    api: TestClient, admin: TestClient, world: World, worker: Worker
) -> None:
    _, header = sent(api, worker)
    raw = sample("dsn_hard", header).replace(
        b"Final-Recipient: rfc822; MEMBER1@Example.org", b"Final-Recipient: rfc822; erika@forwarded.example"
    )
    response = admin.post(FEEDBACK, content=raw, headers=RFC822)
    assert response.json()["kind"] == "HARD_BOUNCE"
    assert response.json()["recipients"][0]["suppressed"] is True
    assert permitted(api, 1, "GENERAL")["blockReason"] == "BOUNCED"


def test_a_complaint_blocks_email_and_switches_marketing_off(
    api: TestClient, admin: TestClient, world: World, worker: Worker
) -> None:
    # The member had opted in to the newsletter.
    opt_in = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}
    ]
    assert api.put(PREFS.format(2), json=opt_in).status_code == 200
    message_id, header = sent(api, worker, customer_id=2, category="NEWSLETTER")
    response = admin.post(FEEDBACK, content=sample("arf_complaint", header), headers=RFC822)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "kind": "COMPLAINT",
        "studioId": world.studio_a,
        "messageId": message_id,
        "originalMessageId": header,
        "recipients": [{"address": "member2@example.org", "customerIds": [2], "suppressed": True}],
    }
    decision = permitted(api, 2, "CONTRACT")
    assert (decision["permitted"], decision["blockReason"]) == (False, "COMPLAINED")
    complaint_entries = entries(api, 2, "COMPLAINT")
    assert sorted(e["messageCategory"] for e in complaint_entries) == [
        "APPOINTMENT",
        "CONTRACT",
        "GENERAL",
        "NEWSLETTER",
    ]
    assert all(e["actor"] == "arf:dns; mail.example.net" for e in complaint_entries)
    # An operator lifts the block (the member must get contract mail): marketing stays off.
    assert admin.delete(f"{SUPPRESSIONS.format(world.studio_a, 2)}/EMAIL").status_code == 204
    assert permitted(api, 2, "CONTRACT")["permitted"] is True
    newsletter = permitted(api, 2, "NEWSLETTER")
    assert (newsletter["permitted"], newsletter["reason"]) == (False, "CUSTOMER_CHOICE")
    assert newsletter["ledgerEntryId"] in {e["entryId"] for e in complaint_entries}


def test_a_not_spam_report_changes_nothing(
    api: TestClient, admin: TestClient, world: World, worker: Worker
) -> None:
    _, header = sent(api, worker, customer_id=2)
    raw = sample("arf_complaint", header).replace(b"Feedback-Type: abuse", b"Feedback-Type: not-spam")
    response = admin.post(FEEDBACK, content=raw, headers=RFC822)
    assert response.json()["kind"] == "OTHER_FEEDBACK"
    assert response.json()["recipients"][0]["suppressed"] is False
    untouched(api, admin, world.studio_a)


def test_an_ordinary_mail_is_not_a_report(admin: TestClient) -> None:
    raw = b"From: member1@example.org\r\nSubject: Your class\r\n\r\nSee you on Monday.\r\n"
    response = admin.post(FEEDBACK, content=raw, headers={"Content-Type": "text/plain"})
    assert response.status_code == 200, response.text
    assert response.json() == {"kind": "NOT_A_REPORT", "recipients": []}


def test_an_out_of_office_reply_is_an_auto_reply(admin: TestClient) -> None:
    raw = b"From: member1@example.org\r\nSubject: Out of office\r\n\r\nBack on Monday.\r\n"
    response = admin.post(FEEDBACK, content=raw, headers={"Content-Type": "text/plain"})
    assert response.json() == {"kind": "AUTO_REPLY", "recipients": []}


def test_json_and_other_media_types_are_415(admin: TestClient, world: World) -> None:
    response = admin.post(FEEDBACK, content=b"<html/>", headers={"Content-Type": "text/html"})
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_the_operator_token_is_required(client: TestClient, world: World) -> None:
    response = client.post(FEEDBACK, content=sample("dsn_hard", "<x@y>"), headers=RFC822)
    assert_error(response, 401, "AUTHENTICATION_FAILED")
