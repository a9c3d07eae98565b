"""A report acts only when it names a message the studio sent and that message's recipient;
anything else is recorded as unattributed and changes nothing (issue 22: a forged DSN for a
message that does not exist switched a member's e-mail off)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from studio_comms.outbox.worker import Worker
from tests.assertions import assert_error
from tests.bounces.helpers import FEEDBACK, RFC822, UNATTRIBUTED, sample, sent, untouched
from tests.factories import World


def unattributed(admin: TestClient, raw: bytes, why: str, **params: Any) -> dict[str, Any]:
    response = admin.post(FEEDBACK, content=raw, headers=RFC822, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["unattributed"]["why"] == why, body
    assert "studioId" not in body
    assert "messageId" not in body
    assert all(r["customerIds"] == [] and r["suppressed"] is False for r in body["recipients"])
    listed = admin.get(UNATTRIBUTED).json()["result"]
    assert listed[0]["id"] == body["unattributed"]["id"]
    assert listed[0]["why"] == why
    return body


def test_a_forged_dsn_for_a_message_that_does_not_exist_changes_nothing(
    api: TestClient, admin: TestClient, world: World, worker: Worker
) -> None:
    sent(api, worker)  # a real message exists, just not this one
    forged = f"<studio-comms.{world.studio_a}.999999@studio.example>"
    body = unattributed(admin, sample("dsn_hard", forged), "NO_SUCH_MESSAGE")
    assert body["kind"] == "HARD_BOUNCE"
    untouched(api, admin, world.studio_a)
    row = admin.get(UNATTRIBUTED).json()["result"][0]
    assert row == {
        "id": row["id"],
        "receivedAt": row["receivedAt"],
        "kind": "HARD_BOUNCE",
        "why": "NO_SUCH_MESSAGE",
        "claimedStudioId": world.studio_a,
        "claimedMessageId": 999999,
        "originalMessageId": forged,
        "reporter": "dns; mail.studio-comms.example",
        "addresses": ["MEMBER1@Example.org"],
    }
    # A forged complaint likewise.
    unattributed(admin, sample("arf_complaint", forged), "NO_SUCH_MESSAGE")
    untouched(api, admin, world.studio_a)


def test_a_real_message_with_another_members_address_changes_nothing(
    api: TestClient, admin: TestClient, world: World, worker: Worker
) -> None:
    _, header = sent(api, worker, customer_id=1)
    raw = sample("dsn_hard", header).replace(b"MEMBER1@Example.org", b"member2@example.org")
    raw = raw.replace(b"rfc822;member1@example.org", b"rfc822;member2@example.org")
    unattributed(admin, raw, "NOT_THE_RECIPIENT")
    # The complaint's recipient (member 2) is not whom message 1 went to (member 1).
    unattributed(admin, sample("arf_complaint", header), "NOT_THE_RECIPIENT")
    untouched(api, admin, world.studio_a)


def test_a_message_id_of_the_other_studio_or_another_domain_is_no_message(
    api: TestClient, admin: TestClient, world: World, worker: Worker
) -> None:
    _, header = sent(api, worker)
    # Message numbers are global: studio B has no message with studio A's number.
    in_b = header.replace(f"studio-comms.{world.studio_a}.", f"studio-comms.{world.studio_b}.")
    unattributed(admin, sample("dsn_hard", in_b), "NO_SUCH_MESSAGE")
    other_domain = header.replace("@studio.example>", "@forger.example>")
    unattributed(admin, sample("dsn_hard", other_domain), "NO_SUCH_MESSAGE")
    untouched(api, admin, world.studio_a)


def test_a_message_never_sent_is_no_message(api: TestClient, admin: TestClient, world: World) -> None:
    body = {"messageCategory": "GENERAL", "communicationChannel": "EMAIL", "subject": "s", "content": "c"}
    accepted = api.post("/v1/communications/1/messages", json=body).json()  # queued, no worker
    header = f"<studio-comms.{world.studio_a}.{accepted['messageId']}@studio.example>"
    unattributed(admin, sample("dsn_hard", header), "NO_SUCH_MESSAGE")
    untouched(api, admin, world.studio_a)


def test_a_member_whose_address_changed_since_is_not_suppressed(
    api: TestClient, admin: TestClient, world: World, worker: Worker
) -> None:
    _, header = sent(api, worker)
    changed = admin.put(
        f"/admin/v1/studios/{world.studio_a}/customers/1",
        json={"firstName": "Erika", "lastName": "Muster1", "email": "erika.new@example.org"},
    )
    assert changed.status_code in (200, 201), changed.text
    unattributed(admin, sample("dsn_hard", header), "NOT_THE_RECIPIENT")
    untouched(api, admin, world.studio_a)


def test_who_says_which_studio(api: TestClient, admin: TestClient, world: World, worker: Worker) -> None:
    _, header = sent(api, worker)
    unattributed(admin, sample("dsn_hard", header), "STUDIO_MISMATCH", studioId=world.studio_b)
    unattributed(admin, sample("dsn_hard", "<20261130.abc@other-sender.example>"), "NOT_OURS")
    no_headers = sample("dsn_hard", "").replace(b"Message-ID: \n", b"")
    unattributed(admin, no_headers, "NO_MESSAGE_ID", studioId=world.studio_a)
    untouched(api, admin, world.studio_a)


@pytest.mark.parametrize(
    "message_id",
    [
        "<studio-comms.9999999999999999999.1@studio.example>",  # 19 digits, beyond int64
        "<studio-comms.1.9999999999999999999@studio.example>",
        "<studio-comms.4611686018427387904.1@studio.example>",  # 2**62: int64, no such studio
    ],
)
def test_ids_beyond_any_row_are_unattributed_not_500(
    admin: TestClient, world: World, message_id: str
) -> None:
    body = unattributed(
        admin, sample("dsn_hard", message_id), "NOT_OURS" if "999999999" in message_id else "NO_SUCH_MESSAGE"
    )
    assert body["originalMessageId"] == message_id


def test_nul_characters_are_stripped_alike_on_both_databases(admin: TestClient, world: World) -> None:
    raw = sample("dsn_hard", f"<studio-comms.{world.studio_a}.5\x00@studio.example>")
    raw = raw.replace(b"dns; mail.studio-comms.example\n", b"dns; mail.\x00studio-comms.example\n", 1)
    raw = raw.replace(b"Final-Recipient: rfc822; MEMBER1", b"Final-Recipient: rfc822; MEM\x00BER1")
    body = unattributed(admin, raw, "NO_SUCH_MESSAGE")
    assert body["originalMessageId"] == f"<studio-comms.{world.studio_a}.5@studio.example>"
    row = admin.get(UNATTRIBUTED).json()["result"][0]
    assert row["reporter"] == "dns; mail.studio-comms.example"
    assert row["addresses"] == ["MEMBER1@Example.org"]


def test_the_unattributed_list_pages_newest_first(admin: TestClient, world: World) -> None:
    ids = [
        admin.post(
            FEEDBACK, content=sample("dsn_hard", f"<studio-comms.{world.studio_a}.{n}@x>"), headers=RFC822
        ).json()["unattributed"]["id"]
        for n in (900001, 900002, 900003)
    ]
    first = admin.get(UNATTRIBUTED, params={"limit": 2}).json()["result"]
    assert [row["id"] for row in first] == [ids[2], ids[1]]
    rest = admin.get(UNATTRIBUTED, params={"limit": 2, "before": ids[1]}).json()["result"]
    assert [row["id"] for row in rest] == [ids[0]]
    assert_error(admin.get(UNATTRIBUTED, params={"limit": 0}), 400, "VALIDATION_FAILED")
    assert_error(admin.get(UNATTRIBUTED, params={"before": 2**63}), 400, "VALIDATION_FAILED")
