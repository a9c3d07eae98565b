"""``send_sms``, the adapter the messages transport calls, against the fake Twilio on loopback."""

from __future__ import annotations

import base64

import pytest

from studio_comms.db.database import Database
from studio_comms.sms.service import credentials_for
from studio_comms.sms.twilio import SmsCredentials, SmsSendFailed, send_sms
from tests.sms.conftest import STUDIO_NUMBER, Account
from tests.sms.fake_twilio import FakeTwilio

MEMBER = "+4915112345671"


def _credentials(db: Database, account: Account) -> SmsCredentials:
    with db.transaction() as tx:
        return credentials_for(tx, account.studio_id)


def test_a_message_reaches_twilio_with_the_documented_form_fields(
    db: Database, twilio: FakeTwilio, account_a: Account
) -> None:
    credentials = _credentials(db, account_a)
    sid, status = send_sms(
        credentials, MEMBER, "Dein Kurs beginnt um 18 Uhr.", account_a.status_url, api_base_url=twilio.url
    )
    assert (sid.startswith("SM"), status) == (True, "queued")
    [message] = twilio.messages
    assert message.sid == sid
    assert message.account_sid == account_a.account_sid
    assert message.content_type == "application/x-www-form-urlencoded"
    assert message.form == {
        "To": MEMBER,
        "From": STUDIO_NUMBER,
        "Body": "Dein Kurs beginnt um 18 Uhr.",
        "StatusCallback": account_a.status_url,
    }


def test_a_messaging_service_sends_instead_of_a_number(twilio: FakeTwilio) -> None:
    account_sid, token = twilio.open_account()
    service = "MG" + "2" * 32
    _, status = send_sms(
        SmsCredentials("TWILIO", account_sid, token, service), MEMBER, "Hallo", None, api_base_url=twilio.url
    )
    assert status == "accepted"
    assert twilio.messages[0].form == {"To": MEMBER, "MessagingServiceSid": service, "Body": "Hallo"}


def test_wrong_credentials_are_refused_for_good(twilio: FakeTwilio) -> None:
    account_sid, _ = twilio.open_account()
    wrong = SmsCredentials("TWILIO", account_sid, "0" * 32, STUDIO_NUMBER)
    with pytest.raises(SmsSendFailed) as refused:
        send_sms(wrong, MEMBER, "Hallo", None, api_base_url=twilio.url)
    assert (refused.value.retryable, refused.value.provider_code) == (False, 20003)
    assert twilio.messages == []
    assert twilio.refusals == [(401, 20003)]


def test_a_refused_number_is_not_retried_and_an_outage_is(twilio: FakeTwilio) -> None:
    account_sid, token = twilio.open_account()
    credentials = SmsCredentials("TWILIO", account_sid, token, STUDIO_NUMBER)
    with pytest.raises(SmsSendFailed) as local:
        send_sms(credentials, "0151 1234 5671", "Hallo", None, api_base_url=twilio.url)
    assert local.value.retryable is False
    twilio.fail_next.append(503)
    with pytest.raises(SmsSendFailed) as outage:
        send_sms(credentials, MEMBER, "Hallo", None, api_base_url=twilio.url)
    assert outage.value.retryable is True
    twilio.fail_next.append(429)
    with pytest.raises(SmsSendFailed) as limited:
        send_sms(credentials, MEMBER, "Hallo", None, api_base_url=twilio.url)
    assert limited.value.retryable is True
    # Then it goes through.
    assert send_sms(credentials, MEMBER, "Hallo", None, api_base_url=twilio.url)[1] == "queued"


def test_no_answer_is_retryable() -> None:
    credentials = SmsCredentials("TWILIO", "AC" + "0" * 32, "t" * 32, STUDIO_NUMBER)
    with pytest.raises(SmsSendFailed) as failed:
        # Nothing listens on port 9 of loopback (discard): connection refused.
        send_sms(credentials, MEMBER, "Hallo", None, api_base_url="http://127.0.0.1:9")
    assert failed.value.retryable is True


def test_the_auth_token_is_in_no_repr_and_goes_as_basic_auth(twilio: FakeTwilio) -> None:
    account_sid, token = twilio.open_account()
    credentials = SmsCredentials("TWILIO", account_sid, token, STUDIO_NUMBER)
    assert token not in repr(credentials)
    expected = "Basic " + base64.b64encode(f"{account_sid}:{token}".encode()).decode()
    assert twilio._authenticated(account_sid, expected)
    send_sms(credentials, MEMBER, "Hallo", None, api_base_url=twilio.url)
    assert len(twilio.messages) == 1
