"""Bounces (RFC 3464) and complaints (RFC 5965) posted raw, as an MTA pipe posts them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.assertions import assert_error
from tests.factories import World

FEEDBACK = "/admin/v1/mail-feedback"
SAMPLES = Path(__file__).parent / "samples"
PERMISSION = "/v1/communications/{}/communication-permission"
PREFS = "/v1/communications/{}/communication-preferences"
HISTORY = "/v1/communications/{}/communication-preferences/history"
SUPPRESSIONS = "/admin/v1/studios/{}/customers/{}/suppressions"
RFC822 = {"Content-Type": "message/rfc822"}


def sample(name: str, studio_id: int | str) -> bytes:
    return (SAMPLES / f"{name}.eml").read_bytes().replace(b"{STUDIO}", str(studio_id).encode())


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


def test_a_hard_bounce_blocks_email_with_bounced(api: TestClient, admin: TestClient, world: World) -> None:
    response = admin.post(FEEDBACK, content=sample("dsn_hard", world.studio_a), headers=RFC822)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "kind": "HARD_BOUNCE",
        "studioId": world.studio_a,
        "originalMessageId": f"<studio-comms.{world.studio_a}.77@studio-comms.example>",
        # Final-Recipient in another case than the stored address: still member 1.
        "recipients": [
            {"address": "MEMBER1@Example.org", "status": "5.1.1", "customerIds": [1], "suppressed": True}
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
    assert bounce_entries[0]["requestId"] == f"<studio-comms.{world.studio_a}.77@studio-comms.example>"
    # Only EMAIL, only this member, only this studio.
    assert permitted(api, 1, "APPOINTMENT", "TEXT_MESSAGE")["permitted"] is True
    assert permitted(api, 2, "GENERAL")["permitted"] is True
    assert (
        api.get(
            PERMISSION.format(1),
            params={"messageCategory": "GENERAL", "communicationChannel": "EMAIL"},
            headers={"X-API-KEY": world.key_b},
        ).json()["permitted"]
        is True
    )


def test_a_soft_bounce_changes_nothing(api: TestClient, admin: TestClient, world: World) -> None:
    response = admin.post(FEEDBACK, content=sample("dsn_soft", world.studio_a), headers=RFC822)
    assert response.status_code == 200, response.text
    assert response.json()["kind"] == "SOFT_BOUNCE"
    assert response.json()["recipients"][0] == {
        "address": "MEMBER1@Example.org",
        "status": "4.2.2",
        "customerIds": [1],
        "suppressed": False,
    }
    assert permitted(api, 1, "GENERAL")["permitted"] is True
    assert admin.get(SUPPRESSIONS.format(world.studio_a, 1)).json() == []
    assert entries(api, 1, "BOUNCE") == []


def test_a_complaint_blocks_email_and_switches_marketing_off(
    api: TestClient, admin: TestClient, world: World
) -> None:
    # The member had opted in to the newsletter.
    opt_in = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}
    ]
    assert api.put(PREFS.format(2), json=opt_in).status_code == 200
    response = admin.post(FEEDBACK, content=sample("arf_complaint", world.studio_a), headers=RFC822)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "kind": "COMPLAINT",
        "studioId": world.studio_a,
        "originalMessageId": f"<studio-comms.{world.studio_a}.78@studio-comms.example>",
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


def test_a_not_spam_report_changes_nothing(api: TestClient, admin: TestClient, world: World) -> None:
    raw = sample("arf_complaint", world.studio_a).replace(b"Feedback-Type: abuse", b"Feedback-Type: not-spam")
    response = admin.post(FEEDBACK, content=raw, headers=RFC822)
    assert response.json()["kind"] == "OTHER_FEEDBACK"
    assert response.json()["recipients"][0]["suppressed"] is False
    assert permitted(api, 2, "GENERAL")["permitted"] is True


def test_the_studio_comes_from_the_message_id_or_the_caller(admin: TestClient, world: World) -> None:
    foreign = sample("dsn_hard", world.studio_a).replace(b"<studio-comms.", b"<other-comms.")
    assert_error(admin.post(FEEDBACK, content=foreign, headers=RFC822), 400, "MAIL_FEEDBACK_UNATTRIBUTED")
    named = admin.post(FEEDBACK, params={"studioId": world.studio_b}, content=foreign, headers=RFC822)
    assert named.json()["studioId"] == world.studio_b
    assert named.json()["recipients"][0]["customerIds"] == [1]
    # A Message-ID of studio A, said to be studio B's: refused, nothing changes.
    mismatch = admin.post(
        FEEDBACK,
        params={"studioId": world.studio_b},
        content=sample("dsn_hard", world.studio_a),
        headers=RFC822,
    )
    assert_error(mismatch, 400, "MAIL_FEEDBACK_UNATTRIBUTED")
    assert admin.get(SUPPRESSIONS.format(world.studio_a, 1)).json() == []
    unknown = admin.post(FEEDBACK, content=sample("dsn_hard", 2**62), headers=RFC822)
    assert_error(unknown, 404, "STUDIO_NOT_FOUND")


def test_another_studios_bounce_cannot_touch_this_studio(
    api: TestClient, admin: TestClient, world: World
) -> None:
    response = admin.post(FEEDBACK, content=sample("dsn_hard", world.studio_b), headers=RFC822)
    assert response.json()["studioId"] == world.studio_b
    assert permitted(api, 1, "GENERAL")["permitted"] is True  # studio A's member 1


def test_an_address_of_no_member_is_reported_and_ignored(admin: TestClient, world: World) -> None:
    raw = sample("dsn_hard", world.studio_a).replace(b"MEMBER1@Example.org", b"gone@example.org")
    response = admin.post(FEEDBACK, content=raw, headers=RFC822)
    assert response.json()["recipients"][0] == {
        "address": "gone@example.org",
        "status": "5.1.1",
        "customerIds": [],
        "suppressed": False,
    }


def test_an_ordinary_mail_is_not_a_report(admin: TestClient) -> None:
    raw = b"From: member1@example.org\r\nSubject: Out of office\r\n\r\nBack on Monday.\r\n"
    response = admin.post(FEEDBACK, content=raw, headers={"Content-Type": "text/plain"})
    assert response.status_code == 200, response.text
    assert response.json() == {"kind": "NOT_A_REPORT", "recipients": []}


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   \r\n",
        # A report without its delivery-status part.
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n",
        # A delivery-status part without per-recipient fields.
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\n--b--\r\n",
        # A recipient block without Status.
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\n"
        b"Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\n\r\n--b--\r\n",
        # An ARF report without Feedback-Type.
        b'Content-Type: multipart/report; report-type=feedback-report; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: message/feedback-report\r\n\r\nVersion: 1\r\n\r\n--b--\r\n",
    ],
)
def test_malformed_reports_are_400_and_change_nothing(admin: TestClient, world: World, raw: bytes) -> None:
    response = admin.post(FEEDBACK, params={"studioId": world.studio_a}, content=raw, headers=RFC822)
    assert_error(response, 400, "MAIL_FEEDBACK_MALFORMED")
    assert admin.get(SUPPRESSIONS.format(world.studio_a, 1)).json() == []


def test_bytes_that_are_no_mail_are_not_a_report(admin: TestClient, world: World) -> None:
    # The parser reads them as a body without headers: never a 500.
    response = admin.post(FEEDBACK, content=b"\xff\xfe\x00garbage", headers=RFC822)
    assert response.json() == {"kind": "NOT_A_REPORT", "recipients": []}


def test_json_and_other_media_types_are_415(admin: TestClient, world: World) -> None:
    response = admin.post(FEEDBACK, content=b"<html/>", headers={"Content-Type": "text/html"})
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_the_operator_token_is_required(client: TestClient, world: World) -> None:
    response = client.post(FEEDBACK, content=sample("dsn_hard", world.studio_a), headers=RFC822)
    assert_error(response, 401, "AUTHENTICATION_FAILED")
