"""What the parser cannot handle is a clear 400 MAIL_FEEDBACK_MALFORMED, never a 500 (the MTA pipe
retries anything it takes for the service's fault: issue 22)."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from studio_comms.bounces.mime import MAX_NESTED_PARTS
from tests.assertions import assert_error
from tests.bounces.helpers import FEEDBACK, RFC822, SUPPRESSIONS, UNATTRIBUTED
from tests.factories import World


def nested_multiparts(depth: int) -> bytes:
    raw = b""
    for level in range(depth):
        raw += b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (level, level)
    return raw + b"Content-Type: text/plain\r\n\r\nhi\r\n"


def nested_messages(depth: int) -> bytes:
    report = (
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        b"--r\r\nContent-Type: message/rfc822\r\n\r\n"
    )
    return report + b"Content-Type: message/rfc822\r\n\r\n" * depth + b"Subject: deep\r\n\r\nx\r\n--r--\r\n"


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
        # 1,000 nested multiparts, and 1,000 nested returned messages: Python's parser would recurse
        # past its stack (500 before).
        nested_multiparts(1000),
        nested_messages(1000),
        nested_multiparts(MAX_NESTED_PARTS + 1),
    ],
    ids=[
        "empty",
        "blank",
        "no-status-part",
        "no-recipients",
        "no-status",
        "no-feedback-type",
        "1000-multiparts",
        "1000-messages",
        "just-too-deep",
    ],
)
def test_malformed_reports_are_400_and_change_nothing(admin: TestClient, world: World, raw: bytes) -> None:
    response = admin.post(FEEDBACK, params={"studioId": world.studio_a}, content=raw, headers=RFC822)
    body = assert_error(response, 400, "MAIL_FEEDBACK_MALFORMED")
    assert body["errorMessage"].startswith("The body is empty")
    german = admin.post(FEEDBACK, content=raw, headers={**RFC822, "Accept-Language": "de"})
    assert assert_error(german, 400, "MAIL_FEEDBACK_MALFORMED")["errorMessage"].startswith("Der Inhalt")
    assert admin.get(SUPPRESSIONS.format(world.studio_a, 1)).json() == []
    assert admin.get(UNATTRIBUTED).json()["result"] == []


def test_nesting_as_deep_as_real_mail_is_read(admin: TestClient, world: World) -> None:
    response = admin.post(FEEDBACK, content=nested_multiparts(MAX_NESTED_PARTS), headers=RFC822)
    assert response.status_code == 200, response.text
    assert response.json()["kind"] == "NOT_A_REPORT"


def test_bytes_that_are_no_mail_are_not_a_report(admin: TestClient, world: World) -> None:
    # The parser reads them as a body without headers: never a 500.
    response = admin.post(FEEDBACK, content=b"\xff\xfe\x00garbage", headers=RFC822)
    assert response.status_code == 200, response.text
    assert response.json()["kind"] == "NOT_A_REPORT"


def test_a_body_over_the_limit_is_413(admin: TestClient, world: World) -> None:
    raw = b"Subject: big\r\n\r\n" + b"x" * (1024 * 1024 + 1)
    assert admin.post(FEEDBACK, content=raw, headers=RFC822).status_code == 413


def test_a_notice_a_detector_trips_over_logs_no_traceback(
    admin: TestClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    # No From: flufl.bounce's Yale detector raises (and logs a traceback at ERROR) before we
    # catch it; `make fuzz` counted each such line as a server error.
    caplog.set_level(logging.INFO)
    raw = b"Subject: Undelivered Mail Returned to Sender\r\n\r\nUser unknown: someone@example.org\r\n"
    response = admin.post(FEEDBACK, content=raw, headers=RFC822)
    assert response.status_code == 200, response.text
    flufl = [record for record in caplog.records if record.name.startswith("flufl")]
    assert flufl == [], [record.getMessage() for record in flufl]
