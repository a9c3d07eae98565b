"""Twilio's status callbacks: verified by X-Twilio-Signature, mapped to SENT / DELIVERED / FAILED."""

from __future__ import annotations

import httpx
import pytest

from studio_comms.db.database import Database
from studio_comms.sms.callbacks import DeliveryStatus, delivery_status
from studio_comms.sms.repository import SmsRepository
from studio_comms.sms.service import credentials_for
from studio_comms.sms.twilio import send_sms
from tests.assertions import assert_error
from tests.conftest import PUBLIC_URL
from tests.sms.conftest import Account
from tests.sms.fake_twilio import FakeTwilio, SentMessage

MEMBER = "+4915112345671"


def _sent(db: Database, twilio: FakeTwilio, account: Account) -> SentMessage:
    with db.transaction() as tx:
        credentials = credentials_for(tx, account.studio_id)
    send_sms(credentials, MEMBER, "Hallo", account.status_url, api_base_url=twilio.url)
    return twilio.messages[-1]


def _reports(db: Database, studio_id: int, sid: str) -> list[tuple[str, str | None, str | None]]:
    with db.transaction() as tx:
        return [
            (report.provider_status, report.status, report.error_code)
            for report in SmsRepository(tx, studio_id).reports(sid)
        ]


def test_signed_callbacks_are_recorded_and_mapped(
    db: Database, twilio: FakeTwilio, account_a: Account
) -> None:
    message = _sent(db, twilio, account_a)
    for status in ("queued", "sent", "delivered"):
        response = twilio.report_status(message, status)
        assert response.status_code == 204, response.text
    assert _reports(db, account_a.studio_id, message.sid) == [
        ("queued", None, None),
        ("sent", "SENT", None),
        ("delivered", "DELIVERED", None),
    ]


def test_an_undelivered_message_is_failed_with_twilios_error_code(
    db: Database, twilio: FakeTwilio, account_a: Account
) -> None:
    message = _sent(db, twilio, account_a)
    assert twilio.report_status(message, "undelivered", error_code="30003").status_code == 204
    assert _reports(db, account_a.studio_id, message.sid) == [("undelivered", "FAILED", "30003")]


@pytest.mark.parametrize(
    ("provider_status", "ours"),
    [
        ("accepted", None),
        ("queued", None),
        ("sending", None),
        ("sent", DeliveryStatus.SENT),
        ("delivered", DeliveryStatus.DELIVERED),
        ("undelivered", DeliveryStatus.FAILED),
        ("failed", DeliveryStatus.FAILED),
        ("canceled", DeliveryStatus.FAILED),
        ("some_future_status", None),
    ],
)
def test_the_mapping(provider_status: str, ours: DeliveryStatus | None) -> None:
    assert delivery_status(provider_status) == ours


def test_a_bad_signature_is_403_and_changes_nothing(
    db: Database, twilio: FakeTwilio, account_a: Account
) -> None:
    message = _sent(db, twilio, account_a)
    params = {"AccountSid": account_a.account_sid, "MessageSid": message.sid, "MessageStatus": "delivered"}
    forged = twilio.post_signed(
        account_a.status_url, params, auth_token=account_a.auth_token, signature="x" * 28
    )
    assert_error(forged, 403, "SIGNATURE_INVALID")
    unsigned = httpx.post(
        twilio.app_url + f"/sms/twilio/{account_a.studio_id}/status",
        data=params,
        timeout=10,
    )
    assert_error(unsigned, 403, "SIGNATURE_INVALID")
    # Signed with the right token, but for another URL (a replay to another path).
    elsewhere = twilio.post_signed(
        account_a.status_url,
        params,
        auth_token=account_a.auth_token,
        signature=_signature_for(account_a, f"{PUBLIC_URL}/elsewhere", params),
    )
    assert_error(elsewhere, 403, "SIGNATURE_INVALID")
    # A body changed after signing.
    tampered = twilio.post_signed(
        account_a.status_url,
        {**params, "MessageStatus": "failed"},
        auth_token=account_a.auth_token,
        signature=_signature_for(account_a, account_a.status_url, params),
    )
    assert_error(tampered, 403, "SIGNATURE_INVALID")
    assert _reports(db, account_a.studio_id, message.sid) == []


def _signature_for(account: Account, url: str, params: dict[str, str]) -> str:
    from studio_comms.sms.signature import sign

    return sign(account.auth_token, url, list(params.items()))


def test_another_studios_account_cannot_touch_this_studio(
    db: Database, twilio: FakeTwilio, account_a: Account, account_b: Account
) -> None:
    message = _sent(db, twilio, account_a)
    # B's token on A's URL: not A's signature.
    wrong_token = twilio.report_status(message, "delivered", auth_token=account_b.auth_token)
    assert_error(wrong_token, 403, "SIGNATURE_INVALID")
    # B's own, correctly signed callback naming A's message, on A's URL: B's AccountSid is not A's.
    params = {"AccountSid": account_b.account_sid, "MessageSid": message.sid, "MessageStatus": "failed"}
    assert_error(
        twilio.post_signed(account_a.status_url, params, auth_token=account_b.auth_token),
        403,
        "SIGNATURE_INVALID",
    )
    # On B's URL, validly signed by B: recorded for B only; A's message is untouched.
    assert (
        twilio.post_signed(account_b.status_url, params, auth_token=account_b.auth_token).status_code == 204
    )
    assert _reports(db, account_a.studio_id, message.sid) == []
    assert _reports(db, account_b.studio_id, message.sid) == [("failed", "FAILED", None)]


def test_unknown_studios_and_studios_without_account_are_404(twilio: FakeTwilio, account_a: Account) -> None:
    params = {"AccountSid": account_a.account_sid, "MessageSid": "SM" + "0" * 32, "MessageStatus": "sent"}
    unknown = twilio.post_signed(
        f"{PUBLIC_URL}/sms/twilio/{2**62}/status", params, auth_token=account_a.auth_token
    )
    assert_error(unknown, 404, "STUDIO_NOT_FOUND")
    no_account = twilio.post_signed(
        f"{PUBLIC_URL}/sms/twilio/{account_a.studio_id + 1}/status", params, auth_token=account_a.auth_token
    )
    assert_error(no_account, 404, "SMS_PROVIDER_NOT_CONFIGURED")
    not_an_id = twilio.post_signed(
        f"{PUBLIC_URL}/sms/twilio/abc/status", params, auth_token=account_a.auth_token
    )
    assert_error(not_an_id, 400, "VALIDATION_FAILED")


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"MessageSid": "SM00"}'),
        ("application/x-www-form-urlencoded", b"\xff\xfe"),
        ("application/x-www-form-urlencoded", b"novalue&&=="),
        ("application/x-www-form-urlencoded", b"x=" + b"a" * 70_000),
        (None, b""),
    ],
)
def test_malformed_bodies_are_400(
    twilio: FakeTwilio, account_a: Account, content_type: str | None, body: bytes
) -> None:
    headers = {"X-Twilio-Signature": "irrelevant"}
    if content_type:
        headers["Content-Type"] = content_type
    response = httpx.post(
        twilio.app_url + f"/sms/twilio/{account_a.studio_id}/status",
        content=body,
        headers=headers,
        timeout=10,
    )
    assert_error(response, 400, "CALLBACK_MALFORMED")


@pytest.mark.parametrize(
    "params",
    [
        {"MessageStatus": "sent"},
        {"MessageSid": "not-a-sid", "MessageStatus": "sent"},
        {"MessageSid": "SM" + "0" * 32},
        {"MessageSid": "SM" + "0" * 32, "MessageStatus": "Sent; DROP TABLE"},
        # A NUL in any field: PostgreSQL could not store it, SQLite could; refused alike on both.
        {"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered", "ErrorCode": "300\x0003"},
        {"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered", "To": "+49\x00"},
    ],
)
def test_signed_but_incomplete_callbacks_are_400(
    db: Database, twilio: FakeTwilio, account_a: Account, params: dict[str, str]
) -> None:
    signed = {"AccountSid": account_a.account_sid, **params}
    response = twilio.post_signed(account_a.status_url, signed, auth_token=account_a.auth_token)
    assert_error(response, 400, "CALLBACK_MALFORMED")
    assert _reports(db, account_a.studio_id, "SM" + "0" * 32) == []
