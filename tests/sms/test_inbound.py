"""Members' replies: STOP and its kin block TEXT_MESSAGE, START lifts it; every reply is recorded."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.assertions import assert_error
from tests.conftest import PUBLIC_URL
from tests.factories import World
from tests.sms.conftest import STUDIO_NUMBER, Account
from tests.sms.fake_twilio import FakeTwilio

CUSTOMER = "/admin/v1/studios/{}/customers/{}"
SUPPRESSIONS = "/admin/v1/studios/{}/customers/{}/suppressions"
PERMISSION = "/v1/communications/{}/communication-permission"
HISTORY = "/v1/communications/{}/communication-preferences/history"
THREADS = "/v1/communications/{}/threads"
MEMBER = "+4915112345671"


def give_phone(admin: TestClient, studio_id: int, customer_id: int, number: str) -> None:
    body = {"firstName": "Erika", "lastName": f"Muster{customer_id}", "phoneNumber": number}
    assert admin.put(CUSTOMER.format(studio_id, customer_id), json=body).status_code == 200


def sms_permitted(api: TestClient, customer_id: int, key: str | None = None) -> dict[str, Any]:
    headers = {"X-API-KEY": key} if key else {}
    response = api.get(
        PERMISSION.format(customer_id),
        params={"messageCategory": "APPOINTMENT", "communicationChannel": "TEXT_MESSAGE"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def keyword_entries(api: TestClient, customer_id: int) -> list[dict[str, Any]]:
    entries = api.get(HISTORY.format(customer_id)).json()["result"]
    return [entry for entry in entries if entry["source"] == "INBOUND_KEYWORD"]


def replies(api: TestClient, customer_id: int) -> list[dict[str, Any]]:
    threads = api.get(THREADS.format(customer_id)).json()["result"]
    found = []
    for thread in threads:
        detail = api.get(f"{THREADS.format(customer_id)}/{thread['threadId']}").json()
        found.extend(detail["communications"])
    return found


def reply(twilio: FakeTwilio, account: Account, body: str, sender: str = MEMBER) -> None:
    response = twilio.incoming(
        account.inbound_url, account.account_sid, sender=sender, to=STUDIO_NUMBER, body=body
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text.endswith("<Response></Response>")


def test_stop_blocks_text_messages_and_start_lifts_the_block(
    api: TestClient, admin: TestClient, world: World, twilio: FakeTwilio, account_a: Account
) -> None:
    give_phone(admin, world.studio_a, 1, MEMBER)
    assert sms_permitted(api, 1)["permitted"] is True

    reply(twilio, account_a, "STOP")
    decision = sms_permitted(api, 1)
    assert (decision["permitted"], decision["reason"], decision["blockReason"]) == (
        False,
        "BLOCKED",
        "SMS_STOP",
    )
    [stop] = keyword_entries(api, 1)
    assert (stop["messageCategory"], stop["communicationChannel"]) == ("APPOINTMENT", "TEXT_MESSAGE")
    assert (stop["previousActive"], stop["active"], stop["actor"]) == (True, False, f"sms:{MEMBER}")
    assert stop["requestId"].startswith("SM")
    [incoming] = replies(api, 1)
    assert incoming["communicationDirection"] == "INCOMING"
    assert incoming["communicationChannel"] == "TEXT_MESSAGE"
    assert incoming["content"] == "STOP"
    assert incoming["ticketNumber"] == stop["requestId"]

    reply(twilio, account_a, "Start")
    assert sms_permitted(api, 1)["permitted"] is True
    start, _ = keyword_entries(api, 1)  # newest first
    assert (start["previousActive"], start["active"]) == (False, True)
    assert sorted(c["content"] for c in replies(api, 1)) == ["STOP", "Start"]
    assert admin.get(SUPPRESSIONS.format(world.studio_a, 1)).json() == []


@pytest.mark.parametrize(
    "word", ["STOPALL", "unsubscribe", "Cancel", "END", "quit", " stop. ", "STOPP", "Abmelden"]
)
def test_every_opt_out_keyword_blocks(
    api: TestClient, admin: TestClient, world: World, twilio: FakeTwilio, account_a: Account, word: str
) -> None:
    give_phone(admin, world.studio_a, 1, MEMBER)
    reply(twilio, account_a, word)
    assert sms_permitted(api, 1)["blockReason"] == "SMS_STOP"


def test_unstop_lifts_and_other_text_changes_nothing(
    api: TestClient, admin: TestClient, world: World, twilio: FakeTwilio, account_a: Account
) -> None:
    give_phone(admin, world.studio_a, 1, MEMBER)
    reply(twilio, account_a, "Bitte nicht mehr stoppen, ich komme morgen")
    assert sms_permitted(api, 1)["permitted"] is True
    assert keyword_entries(api, 1) == []
    assert len(replies(api, 1)) == 1  # still recorded as an INCOMING communication
    reply(twilio, account_a, "stopp")
    reply(twilio, account_a, "UNSTOP")
    assert sms_permitted(api, 1)["permitted"] is True
    assert len(keyword_entries(api, 1)) == 2


def test_start_never_lifts_an_operators_block(
    api: TestClient, admin: TestClient, world: World, twilio: FakeTwilio, account_a: Account
) -> None:
    give_phone(admin, world.studio_a, 1, MEMBER)
    admin.put(f"{SUPPRESSIONS.format(world.studio_a, 1)}/TEXT_MESSAGE", json={"reason": "OPERATOR"})
    reply(twilio, account_a, "STOP")  # already blocked: the operator's reason stays
    reply(twilio, account_a, "START")
    decision = sms_permitted(api, 1)
    assert (decision["permitted"], decision["blockReason"]) == (False, "OPERATOR")
    assert keyword_entries(api, 1) == []


def test_a_shared_number_stops_every_member_with_it_and_no_one_else(
    api: TestClient, admin: TestClient, world: World, twilio: FakeTwilio, account_a: Account
) -> None:
    give_phone(admin, world.studio_a, 1, MEMBER)
    give_phone(admin, world.studio_a, 2, MEMBER)
    give_phone(admin, world.studio_a, 3, "+4915112345673")
    give_phone(admin, world.studio_b, 1, MEMBER)  # the same number in studio B
    reply(twilio, account_a, "STOP")
    assert sms_permitted(api, 1)["permitted"] is False
    assert sms_permitted(api, 2)["permitted"] is False
    assert sms_permitted(api, 3)["permitted"] is True
    # Studio A's account speaks for studio A only.
    assert sms_permitted(api, 1, key=world.key_b)["permitted"] is True


def test_a_sender_who_is_no_member_is_answered_and_ignored(
    api: TestClient, admin: TestClient, world: World, twilio: FakeTwilio, account_a: Account
) -> None:
    give_phone(admin, world.studio_a, 1, MEMBER)
    reply(twilio, account_a, "STOP", sender="+4915199999999")
    reply(twilio, account_a, "STOP", sender="FITNESS")  # an alphanumeric sender
    assert sms_permitted(api, 1)["permitted"] is True
    assert replies(api, 1) == []


def test_another_studios_account_cannot_stop_this_studios_members(
    api: TestClient,
    admin: TestClient,
    world: World,
    twilio: FakeTwilio,
    account_a: Account,
    account_b: Account,
) -> None:
    give_phone(admin, world.studio_a, 1, MEMBER)
    # Signed by B's account, sent to A's webhook.
    forged = twilio.incoming(
        account_a.inbound_url, account_b.account_sid, sender=MEMBER, to=STUDIO_NUMBER, body="STOP"
    )
    assert_error(forged, 403, "SIGNATURE_INVALID")
    # Signed with A's token by someone pretending to be account B: the AccountSid is not A's.
    mixed = twilio.incoming(
        account_a.inbound_url,
        account_b.account_sid,
        sender=MEMBER,
        to=STUDIO_NUMBER,
        body="STOP",
        auth_token=account_a.auth_token,
    )
    assert_error(mixed, 403, "SIGNATURE_INVALID")
    assert sms_permitted(api, 1)["permitted"] is True
    assert replies(api, 1) == []


def test_a_bad_signature_on_a_reply_changes_nothing(
    api: TestClient, admin: TestClient, world: World, twilio: FakeTwilio, account_a: Account
) -> None:
    give_phone(admin, world.studio_a, 1, MEMBER)
    params = {
        "AccountSid": account_a.account_sid,
        "MessageSid": "SM" + "1" * 32,
        "From": MEMBER,
        "Body": "STOP",
    }
    forged = twilio.post_signed(account_a.inbound_url, params, auth_token="not-the-token-0123456789")
    assert_error(forged, 403, "SIGNATURE_INVALID")
    assert sms_permitted(api, 1)["permitted"] is True
    assert replies(api, 1) == []
    assert keyword_entries(api, 1) == []


@pytest.mark.parametrize(
    "params",
    [
        {"From": MEMBER, "Body": "STOP"},
        {"MessageSid": "SM" + "1" * 32, "Body": "STOP"},
        {"MessageSid": "SM" + "1" * 32, "From": MEMBER},
    ],
)
def test_a_signed_reply_without_its_fields_is_400(
    api: TestClient,
    admin: TestClient,
    world: World,
    twilio: FakeTwilio,
    account_a: Account,
    params: dict[str, str],
) -> None:
    give_phone(admin, world.studio_a, 1, MEMBER)
    signed = {"AccountSid": account_a.account_sid, **params}
    assert_error(
        twilio.post_signed(account_a.inbound_url, signed, auth_token=account_a.auth_token),
        400,
        "CALLBACK_MALFORMED",
    )
    assert sms_permitted(api, 1)["permitted"] is True


@pytest.mark.parametrize(
    ("field", "value"), [("Body", "ST\x00OP"), ("Body", "Hello\x00"), ("From", MEMBER + "\x00")]
)
def test_a_nul_in_a_signed_reply_is_400_and_changes_nothing_on_both_databases(
    api: TestClient,
    admin: TestClient,
    world: World,
    twilio: FakeTwilio,
    account_a: Account,
    field: str,
    value: str,
) -> None:
    """PostgreSQL's text cannot hold NUL and SQLite's can: issue 22 saw the two answer differently
    on provider input. Refused before the database, alike on both, nothing recorded."""
    give_phone(admin, world.studio_a, 1, MEMBER)
    signed = {
        "AccountSid": account_a.account_sid,
        "MessageSid": "SM" + "6" * 32,
        "From": MEMBER,
        "To": STUDIO_NUMBER,
        "Body": "STOP",
        field: value,
    }
    response = twilio.post_signed(account_a.inbound_url, signed, auth_token=account_a.auth_token)
    assert assert_error(response, 400, "CALLBACK_MALFORMED")["reference"] == field
    assert sms_permitted(api, 1)["permitted"] is True
    assert replies(api, 1) == []
    assert keyword_entries(api, 1) == []


def test_the_signature_covers_the_public_url_not_the_address_the_proxy_used(
    api: TestClient, admin: TestClient, world: World, twilio: FakeTwilio, account_a: Account
) -> None:
    give_phone(admin, world.studio_a, 1, MEMBER)
    assert account_a.inbound_url.startswith(PUBLIC_URL)
    local_url = twilio.app_url + account_a.inbound_url.removeprefix(PUBLIC_URL)
    params = {
        "AccountSid": account_a.account_sid,
        "MessageSid": "SM" + "1" * 32,
        "From": MEMBER,
        "Body": "STOP",
    }
    from studio_comms.sms.signature import sign

    signed_for_local = sign(account_a.auth_token, local_url, list(params.items()))
    response = twilio.post_signed(
        account_a.inbound_url, params, auth_token=account_a.auth_token, signature=signed_for_local
    )
    assert_error(response, 403, "SIGNATURE_INVALID")


def test_a_replayed_reply_is_acted_on_once(
    api: TestClient, admin: TestClient, world: World, twilio: FakeTwilio, account_a: Account
) -> None:
    """Twilio's signature has no timestamp: a captured START must not lift a later STOP."""
    give_phone(admin, world.studio_a, 1, MEMBER)
    start = {
        "AccountSid": account_a.account_sid,
        "MessageSid": "SM" + "5" * 32,
        "From": MEMBER,
        "To": STUDIO_NUMBER,
        "Body": "START",
    }
    assert (
        twilio.post_signed(account_a.inbound_url, start, auth_token=account_a.auth_token).status_code == 200
    )
    reply(twilio, account_a, "STOP")
    replayed = twilio.post_signed(account_a.inbound_url, start, auth_token=account_a.auth_token)
    assert replayed.status_code == 200
    assert sms_permitted(api, 1)["permitted"] is False
    assert sorted(c["content"] for c in replies(api, 1)) == ["START", "STOP"]


def test_after_stop_sending_a_text_message_is_refused_and_after_start_permitted(
    api: TestClient, admin: TestClient, world: World, twilio: FakeTwilio, account_a: Account
) -> None:
    """The one decision every send enforces (Consent-Enforcement: REJECT is what sending uses)."""
    give_phone(admin, world.studio_a, 1, MEMBER)
    outgoing = {
        "communicationThreadStatus": "CREATED",
        "subject": "Kurs",
        "content": "Dein Kurs beginnt um 18 Uhr.",
        "communicationDirection": "OUTGOING",
        "communicationChannel": "TEXT_MESSAGE",
        "messageCategory": "APPOINTMENT",
    }
    reject = {"Consent-Enforcement": "REJECT"}
    reply(twilio, account_a, "STOP")
    refused = api.post(THREADS.format(1), json=outgoing, headers=reject)
    assert_error(refused, 409, "COMMUNICATION_NOT_PERMITTED", "communicationChannel")
    reply(twilio, account_a, "START")
    sent = api.post(THREADS.format(1), json=outgoing, headers=reject)
    assert sent.status_code == 200, sent.text
    assert sent.json()["authorization"]["permitted"] is True
