"""Signed VERP (issue 22 item 3, "better still"): with ``STUDIO_COMMS_BOUNCE_ADDRESS`` set, each
e-mail goes out with its own signed envelope sender, and a bounce acts only when it came back to
one. Message numbers are sequential: without the signature a forger who knows a member's address
could try every number; with it, no number can be named without the link secret."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from studio_comms.outbox.worker import Worker
from tests.bounces.helpers import FEEDBACK, RFC822, permitted, sample, sent, untouched
from tests.factories import World
from tests.smtp_server import SmtpServer


def return_path(smtp: SmtpServer) -> str:
    return smtp.arrived[-1].mail_from


def addressed_to(raw: bytes, address: str) -> bytes:
    """The report as the MTA delivers it to ``address`` (the envelope recipient it records)."""
    return f"Delivered-To: {address}\n".encode() + raw


def test_each_e_mail_goes_out_with_its_own_signed_return_path(
    api: TestClient, world: World, worker: Worker, smtp: SmtpServer
) -> None:
    first, _ = sent(api, worker)
    first_path = return_path(smtp)
    second, _ = sent(api, worker)
    assert re.fullmatch(
        rf"bounces\+{world.studio_a}\.{first}\.[a-z2-7]{{16}}@mail\.studio\.example", first_path
    )
    assert return_path(smtp).startswith(f"bounces+{world.studio_a}.{second}.")
    assert return_path(smtp) != first_path.replace(f".{first}.", f".{second}.")  # the tag differs too


def test_a_bounce_to_the_signed_return_path_acts(
    api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer
) -> None:
    message_id, header = sent(api, worker)
    raw = addressed_to(sample("dsn_hard", header), return_path(smtp))
    body = admin.post(FEEDBACK, content=raw, headers=RFC822).json()
    assert (body["kind"], body["messageId"]) == ("HARD_BOUNCE", message_id)
    assert permitted(api, 1, "GENERAL")["blockReason"] == "BOUNCED"


def test_the_signature_names_the_message_when_the_report_quotes_no_headers(
    api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer
) -> None:
    message_id, _ = sent(api, worker)
    raw = addressed_to(sample("dsn_hard", "").replace(b"Message-ID: \n", b""), return_path(smtp))
    body = admin.post(FEEDBACK, content=raw, headers=RFC822).json()
    assert (body["kind"], body["messageId"]) == ("HARD_BOUNCE", message_id)


def test_an_unsigned_forged_or_misdirected_bounce_changes_nothing(
    api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer
) -> None:
    message_id, header = sent(api, worker)
    signed = return_path(smtp)
    forged_tag = re.sub(r"\.[a-z2-7]{16}@", ".aaaaaaaaaaaaaaaa@", signed)
    other_message = signed.replace(f".{message_id}.", f".{message_id + 1}.")
    for raw in (
        sample("dsn_hard", header),  # a real Message-ID and recipient, but not to a signed address
        addressed_to(sample("dsn_hard", header), forged_tag),
        addressed_to(sample("dsn_hard", header), other_message),
    ):
        body = admin.post(FEEDBACK, content=raw, headers=RFC822).json()
        assert body["unattributed"]["why"] == "NOT_SIGNED", body
    untouched(api, admin, world.studio_a)


def test_a_signed_path_for_one_message_cannot_carry_another_message_s_id(
    api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer
) -> None:
    _, first_header = sent(api, worker)
    first_path = return_path(smtp)
    _, second_header = sent(api, worker, customer_id=2)
    raw = addressed_to(sample("dsn_hard", second_header), first_path)
    body = admin.post(FEEDBACK, content=raw, headers=RFC822).json()
    assert body["unattributed"]["why"] == "NO_SUCH_MESSAGE"
    untouched(api, admin, world.studio_a)
    assert first_header != second_header
