"""Revocation by any reasonable means (issue 18): every revocation phrase, signed as Twilio signs
it, blocks TEXT_MESSAGE with a ledger entry naming its words; an unclear reply waits for an
operator; HELP is answered with the studio's contact."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from studio_comms.core.audit import Audit, ChangeSource
from studio_comms.db.database import Database
from studio_comms.sms.errors import SmsReplyDecided
from studio_comms.sms.replies import apply_reply, dismiss_reply
from studio_comms.sms.schemas import SmsReplyRead
from tests.assertions import assert_error
from tests.conftest import FixedClock
from tests.factories import World
from tests.sms.conftest import STUDIO_NUMBER, Account
from tests.sms.fake_twilio import FakeTwilio
from tests.sms.test_inbound import HISTORY, MEMBER, give_phone, keyword_entries, replies, reply, sms_permitted
from tests.sms.test_words import AROUND, CLEAR, KEYWORDS

REPLIES = "/admin/v1/studios/{}/sms/replies"
INFO = "/admin/v1/studios/{}/information"
CUSTOMER = "/admin/v1/studios/{}/customers/{}"


def pending(admin: TestClient, studio_id: int, state: str | None = None) -> list[dict[str, Any]]:
    params = {"state": state} if state else {}
    response = admin.get(REPLIES.format(studio_id), params=params)
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()["result"]
    return result


def ledger(api: TestClient, customer_id: int) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = api.get(HISTORY.format(customer_id)).json()["result"]
    return result


def assert_blocked(api: TestClient, customer_id: int) -> None:
    decision = sms_permitted(api, customer_id)
    assert (decision["permitted"], decision["reason"], decision["blockReason"]) == (
        False,
        "BLOCKED",
        "SMS_STOP",
    )


# Every phrase of the issue alone, a sample with greetings and punctuation, and the clear requests.
PHRASES = KEYWORDS + AROUND[:8] + CLEAR[:3] + CLEAR[10:12]


@pytest.mark.parametrize(("body", "words"), PHRASES, ids=[body for body, _ in PHRASES])
def test_each_revocation_phrase_blocks_text_messages_with_a_ledger_entry_naming_its_words(
    api: TestClient,
    admin: TestClient,
    world: World,
    twilio: FakeTwilio,
    account_a: Account,
    body: str,
    words: str,
) -> None:
    give_phone(admin, world.studio_a, 1, MEMBER)
    assert sms_permitted(api, 1)["permitted"] is True

    reply(twilio, account_a, body)

    assert_blocked(api, 1)
    entries = keyword_entries(api, 1)
    assert entries, "a revocation is a ledger entry"
    for entry in entries:
        assert entry["communicationChannel"] == "TEXT_MESSAGE"
        assert (entry["previousActive"], entry["active"], entry["actor"]) == (True, False, f"sms:{MEMBER}")
        assert entry["details"] == f'SMS reply "{words}"'
    assert [c["content"] for c in replies(api, 1)] == [body]
    assert pending(admin, world.studio_a) == []
    # The member's START lifts it, as it lifts a STOP.
    reply(twilio, account_a, "START")
    assert sms_permitted(api, 1)["permitted"] is True
    assert keyword_entries(api, 1)[0]["details"] == 'SMS reply "START"'


@pytest.mark.parametrize("body", ["I'll stop by tomorrow", "can't wait to start"])
def test_an_unclear_reply_changes_nothing_and_is_listed_for_an_operator(
    api: TestClient, admin: TestClient, world: World, twilio: FakeTwilio, account_a: Account, body: str
) -> None:
    give_phone(admin, world.studio_a, 1, MEMBER)
    reply(twilio, account_a, body)

    assert sms_permitted(api, 1)["permitted"] is True
    assert keyword_entries(api, 1) == []
    [listed] = pending(admin, world.studio_a)
    assert listed == pending(admin, world.studio_a, "PENDING")[0]
    assert (listed["sender"], listed["customerIds"], listed["body"], listed["state"]) == (
        MEMBER,
        [1],
        body,
        "PENDING",
    )
    assert listed["words"] in ("stop", "start")
    assert "decidedAt" not in listed  # None is left out, as everywhere
    assert pending(admin, world.studio_a, "APPLIED") == []
    assert pending(admin, world.studio_b) == []


def test_an_operator_applies_an_unclear_reply_once(
    api: TestClient, admin: TestClient, world: World, twilio: FakeTwilio, account_a: Account
) -> None:
    give_phone(admin, world.studio_a, 1, MEMBER)
    give_phone(admin, world.studio_a, 2, MEMBER)  # a family on one number
    reply(twilio, account_a, "Stop it with the reminders, I'll stop by tomorrow anyway")
    [listed] = pending(admin, world.studio_a)
    assert listed["customerIds"] == [1, 2]

    applied = admin.post(f"{REPLIES.format(world.studio_a)}/{listed['replyId']}/apply")
    assert applied.status_code == 200, applied.text
    assert (applied.json()["state"], applied.json()["decidedBy"]) == ("APPLIED", "operator")
    assert applied.json()["decidedAt"] is not None
    for customer_id in (1, 2):
        assert_blocked(api, customer_id)
        [entry] = [e for e in ledger(api, customer_id) if e["source"] == "OPERATOR"]
        assert (entry["previousActive"], entry["active"], entry["actor"]) == (True, False, "operator")
        assert entry["details"] == (
            f'SMS reply "Stop it with the reminders, I\'ll stop by tomorrow anyway" '
            f"(reply {listed['replyId']}, applied by an operator)"
        )
    assert pending(admin, world.studio_a) == []
    assert [r["replyId"] for r in pending(admin, world.studio_a, "APPLIED")] == [listed["replyId"]]

    # Applying again answers the reply as it is and writes nothing; dismissing it now is refused.
    again = admin.post(f"{REPLIES.format(world.studio_a)}/{listed['replyId']}/apply")
    assert again.status_code == 200
    assert again.json() == applied.json()
    assert len([e for e in ledger(api, 1) if e["source"] == "OPERATOR"]) == 1
    refused = admin.post(f"{REPLIES.format(world.studio_a)}/{listed['replyId']}/dismiss")
    body = assert_error(refused, 409, "SMS_REPLY_DECIDED")
    assert "APPLIED" in body["errorMessage"]
    assert_blocked(api, 1)
    # The member's START still lifts what the operator applied.
    reply(twilio, account_a, "START")
    assert sms_permitted(api, 1)["permitted"] is True


def test_an_operator_dismisses_an_unclear_reply_and_consent_stays(
    api: TestClient, admin: TestClient, world: World, twilio: FakeTwilio, account_a: Account
) -> None:
    give_phone(admin, world.studio_a, 1, MEMBER)
    reply(twilio, account_a, "I'll stop by tomorrow")
    [listed] = pending(admin, world.studio_a)
    before = ledger(api, 1)

    dismissed = admin.post(f"{REPLIES.format(world.studio_a)}/{listed['replyId']}/dismiss")
    assert dismissed.status_code == 200, dismissed.text
    assert dismissed.json()["state"] == "DISMISSED"
    again = admin.post(f"{REPLIES.format(world.studio_a)}/{listed['replyId']}/dismiss")
    assert again.json() == dismissed.json()
    assert_error(
        admin.post(f"{REPLIES.format(world.studio_a)}/{listed['replyId']}/apply"), 409, "SMS_REPLY_DECIDED"
    )

    assert sms_permitted(api, 1)["permitted"] is True
    assert ledger(api, 1) == before
    assert pending(admin, world.studio_a) == []
    assert [r["state"] for r in pending(admin, world.studio_a, "DISMISSED")] == ["DISMISSED"]


def test_an_unclear_reply_after_stop_does_not_lift_it(
    api: TestClient, admin: TestClient, world: World, twilio: FakeTwilio, account_a: Account
) -> None:
    give_phone(admin, world.studio_a, 1, MEMBER)
    reply(twilio, account_a, "STOP")
    reply(twilio, account_a, "can't wait to start")
    reply(twilio, account_a, "YES")  # no meaning yet (the double opt-in will give it one)
    assert_blocked(api, 1)
    assert [r["body"] for r in pending(admin, world.studio_a)] == ["can't wait to start"]


def test_an_unclear_reply_from_no_member_is_not_listed(
    admin: TestClient, world: World, twilio: FakeTwilio, account_a: Account
) -> None:
    reply(twilio, account_a, "I'll stop by tomorrow", sender="+4915199999999")
    assert pending(admin, world.studio_a) == []


def test_operator_errors(
    api: TestClient, admin: TestClient, world: World, twilio: FakeTwilio, account_a: Account, app: Any
) -> None:
    give_phone(admin, world.studio_a, 1, MEMBER)
    reply(twilio, account_a, "I'll stop by tomorrow")
    [listed] = pending(admin, world.studio_a)
    reply_id = listed["replyId"]

    for action in ("apply", "dismiss"):
        assert_error(
            admin.post(f"{REPLIES.format(world.studio_a)}/999999/{action}"), 404, "SMS_REPLY_NOT_FOUND"
        )
        # Studio A's reply, asked for under studio B: not there.
        assert_error(
            admin.post(f"{REPLIES.format(world.studio_b)}/{reply_id}/{action}"), 404, "SMS_REPLY_NOT_FOUND"
        )
        assert_error(admin.post(f"{REPLIES.format(999999)}/{reply_id}/{action}"), 404, "STUDIO_NOT_FOUND")
        assert_error(admin.post(f"{REPLIES.format(world.studio_a)}/abc/{action}"), 400, "VALIDATION_FAILED")
        unauthenticated = TestClient(app).post(f"{REPLIES.format(world.studio_a)}/{reply_id}/{action}")
        assert unauthenticated.status_code == 401
    assert_error(
        admin.get(REPLIES.format(world.studio_a), params={"state": "MAYBE"}), 400, "VALIDATION_FAILED"
    )
    assert_error(admin.get(REPLIES.format(world.studio_a), params={"sliceSize": 0}), 400, "VALIDATION_FAILED")
    assert_error(admin.get(REPLIES.format(999999)), 404, "STUDIO_NOT_FOUND")
    # Nothing was decided by any of them.
    assert pending(admin, world.studio_a) == [listed]
    assert sms_permitted(api, 1)["permitted"] is True


def test_the_list_comes_in_slices_newest_first(
    admin: TestClient, world: World, twilio: FakeTwilio, account_a: Account
) -> None:
    give_phone(admin, world.studio_a, 1, MEMBER)
    for body in ("stop by at 5", "stop by at 6", "stop by at 7"):
        reply(twilio, account_a, body)
    first = admin.get(REPLIES.format(world.studio_a), params={"sliceSize": 2}).json()
    assert [r["body"] for r in first["result"]] == ["stop by at 7", "stop by at 6"]
    assert first["hasNext"] is True
    rest = admin.get(
        REPLIES.format(world.studio_a), params={"sliceSize": 2, "offset": first["offset"]}
    ).json()
    assert ([r["body"] for r in rest["result"]], rest["hasNext"]) == (["stop by at 5"], False)


# --- HELP --------------------------------------------------------------------------------------


def help_answer(twilio: FakeTwilio, account: Account, body: str, sender: str = MEMBER) -> str | None:
    response = twilio.incoming(
        account.inbound_url, account.account_sid, sender=sender, to=STUDIO_NUMBER, body=body
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own answer)
    assert root.tag == "Response"
    messages = root.findall("Message")
    assert len(messages) <= 1
    return messages[0].text if messages else None


def test_help_is_answered_with_the_studios_name_and_contact_in_the_members_language(
    api: TestClient, admin: TestClient, world: World, twilio: FakeTwilio, account_a: Account
) -> None:
    information = {
        "name": "Studio A & Sauna",
        "telephone": "+49 30 1234567",
        "email": "info@studio-a.example",
        "website": "https://studio-a.example",
    }
    assert admin.put(INFO.format(world.studio_a), json=information).status_code == 200
    body = {"firstName": "Ann", "lastName": "Lee", "phoneNumber": MEMBER, "language": "en"}
    assert admin.put(CUSTOMER.format(world.studio_a, 1), json=body).status_code == 200

    assert help_answer(twilio, account_a, "HELP") == (
        "Studio A & Sauna: for help, call +49 30 1234567, e-mail info@studio-a.example, "
        "https://studio-a.example. Reply STOP to stop text messages."
    )
    # No member's number: the studio's language (de).
    assert help_answer(twilio, account_a, "Hilfe", sender="+4915199999999") == (
        "Studio A & Sauna: Hilfe erhalten Sie unter Tel. +49 30 1234567, E-Mail info@studio-a.example, "
        "https://studio-a.example. Antworten Sie STOP, um keine SMS mehr zu erhalten."
    )
    assert help_answer(twilio, account_a, "info?") is not None
    # HELP changes no consent; it is recorded as the member's reply like any other.
    assert sms_permitted(api, 1)["permitted"] is True
    assert keyword_entries(api, 1) == []
    assert sorted(c["content"] for c in replies(api, 1)) == ["HELP", "info?"]
    # Anything else gets no answer of ours.
    for other in ("STOP", "START", "Thanks!", "I'll stop by"):
        assert help_answer(twilio, account_a, other) is None


def test_help_without_contact_details_names_the_studio_and_a_replay_is_not_answered(
    admin: TestClient, world: World, twilio: FakeTwilio, account_a: Account
) -> None:
    give_phone(admin, world.studio_a, 1, MEMBER)  # no language: the studio's (de)
    params = {
        "AccountSid": account_a.account_sid,
        "MessageSid": "SM" + "7" * 32,
        "From": MEMBER,
        "To": STUDIO_NUMBER,
        "Body": "HELP",
    }
    first = twilio.post_signed(account_a.inbound_url, params, auth_token=account_a.auth_token)
    assert "<Message>Studio A: Hilfe erhalten Sie im Studio." in first.text
    replayed = twilio.post_signed(account_a.inbound_url, params, auth_token=account_a.auth_token)
    assert replayed.status_code == 200
    assert replayed.text.endswith("<Response></Response>")


def test_of_two_decisions_at_once_the_first_stands(
    api: TestClient,
    admin: TestClient,
    db: Database,
    clock: FixedClock,
    world: World,
    twilio: FakeTwilio,
    account_a: Account,
) -> None:
    """An operator dismisses while another's apply is not yet committed: the dismissal waits
    (PostgreSQL: the row lock of the conditional UPDATE; SQLite: the one writer), then finds the
    reply applied and is refused; nothing of it is written."""
    give_phone(admin, world.studio_a, 1, MEMBER)
    reply(twilio, account_a, "I'll stop by tomorrow")
    [listed] = pending(admin, world.studio_a)
    audit = Audit(source=ChangeSource.OPERATOR, actor="operator")

    def dismiss() -> SmsReplyRead:
        with db.transaction() as tx:
            return dismiss_reply(tx, world.studio_a, listed["replyId"], actor="other operator", now=clock.now)

    with ThreadPoolExecutor(1) as pool:
        with db.transaction() as tx:
            applied = apply_reply(tx, world.studio_a, listed["replyId"], audit=audit, now=clock.now)
            second = pool.submit(dismiss)
            time.sleep(0.5)
            assert not second.done()  # waiting for the apply to commit
        with pytest.raises(SmsReplyDecided):
            second.result(timeout=60)

    [stored] = pending(admin, world.studio_a, "APPLIED")
    assert stored == applied.model_dump(mode="json", exclude_none=True)
    assert stored["decidedBy"] == "operator"
    assert_blocked(api, 1)
