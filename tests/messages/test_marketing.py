"""Marketing is marked: decided at acceptance, stored on the message, and marketing e-mail (only it)
carries List-Unsubscribe and List-Unsubscribe-Post (RFC 8058) whose one-click POST works.

Single and bulk sends, over a real SMTP server on loopback; DKIM signs both headers."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from studio_comms.background import build_worker
from studio_comms.db.database import Database
from studio_comms.messages.models import Message, MessageBatch
from studio_comms.outbox.worker import Worker
from studio_comms.settings import Settings
from studio_comms.web.unsubscribe import MAIL_CLIENT_TEXT_VERSION
from tests.admin.helpers import DEFAULT_SETTINGS, SETTINGS
from tests.assertions import assert_error
from tests.conftest import PUBLIC_URL, FixedClock
from tests.dbtools import orm
from tests.factories import World
from tests.messages.conftest import message, send, set_preference
from tests.smtp_server import Arrived, SmtpServer

ONE_CLICK = "List-Unsubscribe=One-Click"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _message_settings(world: World) -> str:
    return f"/admin/v1/studios/{world.studio_a}/message-settings"


def _bulk(api: TestClient, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customerIds": [1, 2, 3],
        "messageCategory": "GENERAL",
        "communicationChannel": "EMAIL",
        "subject": "Hello {{ firstName }}",
        "content": "Our summer party is on Saturday.",
        **overrides,
    }
    response = api.post("/v1/messages", json=body)
    assert response.status_code == 202, response.text
    accepted: dict[str, Any] = response.json()
    assert accepted["refused"] == []
    return accepted


def _marked(arrived: Arrived) -> bool:
    """Both headers or neither (never one alone)."""
    mail = arrived.mail
    link, post = mail["List-Unsubscribe"], mail["List-Unsubscribe-Post"]
    assert (link is None) == (post is None), (link, post)
    if link is None:
        return False
    assert post == ONE_CLICK
    assert link.startswith(f"<{PUBLIC_URL}/unsubscribe/"), link
    assert link.endswith(">"), link
    return True


def _by_recipient(smtp: SmtpServer) -> dict[str, Arrived]:
    return {arrived.recipients[0]: arrived for arrived in smtp.arrived}


def _permitted(api: TestClient, category: str, customer: int = 1) -> bool:
    response = api.get(
        f"/v1/communications/{customer}/communication-permission",
        params={"messageCategory": category, "communicationChannel": "EMAIL"},
    )
    assert response.status_code == 200, response.text
    permitted: bool = response.json()["permitted"]
    return permitted


def _stored(db: Database) -> tuple[int, int]:
    with orm(db) as session:
        messages = session.scalar(select(func.count()).select_from(Message))
        batches = session.scalar(select(func.count()).select_from(MessageBatch))
    return int(messages or 0), int(batches or 0)


def test_general_mail_is_marketing_by_default_and_carries_both_headers(
    api: TestClient, worker: Worker, smtp: SmtpServer
) -> None:
    accepted = send(api, messageCategory="GENERAL")
    assert message(api, accepted["messageId"])["marketing"] is True
    worker.drain()
    [arrived] = smtp.arrived
    assert _marked(arrived)
    # The preference-center footer is there as on every mail.
    assert f"{PUBLIC_URL}/preferences/" in arrived.mail.get_body(("plain",)).get_content()


def test_the_one_click_post_of_a_general_mail_unsubscribes_that_member_from_that_slot(
    api: TestClient, client: TestClient, worker: Worker, smtp: SmtpServer
) -> None:
    send(api, 1, messageCategory="GENERAL")
    send(api, 2, messageCategory="GENERAL")
    worker.drain()
    link = _by_recipient(smtp)["member1@example.org"].mail["List-Unsubscribe"]
    path = link[1:-1].removeprefix(PUBLIC_URL)
    # Exactly what a mail provider posts (RFC 8058 §3.1): no cookies, no token but the link's.
    response = client.post(
        path, content=ONE_CLICK.encode(), headers={**FORM, "User-Agent": "GoogleOneClick/1.0"}
    )
    assert response.status_code == 200, response.text
    assert _permitted(api, "GENERAL") is False
    # Only that slot of that member.
    assert _permitted(api, "APPOINTMENT") is True
    assert _permitted(api, "GENERAL", customer=2) is True
    [entry] = api.get("/v1/communications/1/communication-preferences/history").json()["result"]
    assert (entry["messageCategory"], entry["communicationChannel"]) == ("GENERAL", "EMAIL")
    assert (entry["previousActive"], entry["active"]) == (True, False)
    assert entry["source"] == "UNSUBSCRIBE_LINK"
    assert entry["textVersion"] == MAIL_CLIENT_TEXT_VERSION
    assert entry["userAgent"] == "GoogleOneClick/1.0"
    # The next GENERAL send to that member is refused; the other member's still goes.
    response = api.post(
        "/v1/communications/1/messages",
        json={"messageCategory": "GENERAL", "communicationChannel": "EMAIL", "subject": "S", "content": "C"},
    )
    assert_error(response, 409, "COMMUNICATION_NOT_PERMITTED")


def test_marketing_false_on_general_carries_no_headers_single_and_bulk(
    api: TestClient, worker: Worker, smtp: SmtpServer
) -> None:
    single = send(api, messageCategory="GENERAL", marketing=False)
    assert message(api, single["messageId"])["marketing"] is False
    _bulk(api, customerIds=[2, 3], marketing=False)
    worker.drain()
    assert len(smtp.arrived) == 3
    assert [_marked(arrived) for arrived in smtp.arrived] == [False, False, False]


def test_bulk_general_mail_carries_each_members_own_link(
    api: TestClient, client: TestClient, worker: Worker, smtp: SmtpServer
) -> None:
    _bulk(api)
    worker.drain()
    arrived = _by_recipient(smtp)
    assert sorted(arrived) == [f"member{n}@example.org" for n in (1, 2, 3)]
    assert all(_marked(mail) for mail in arrived.values())
    links = {mail.mail["List-Unsubscribe"] for mail in arrived.values()}
    assert len(links) == 3
    path = arrived["member2@example.org"].mail["List-Unsubscribe"][1:-1].removeprefix(PUBLIC_URL)
    assert client.post(path, content=ONE_CLICK.encode(), headers=FORM).status_code == 200
    assert [_permitted(api, "GENERAL", n) for n in (1, 2, 3)] == [True, False, True]


def test_with_the_studio_default_off_general_is_not_marketing_unless_the_send_says(
    api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer
) -> None:
    url = _message_settings(world)
    assert admin.get(url).json()["generalIsMarketing"] is True
    response = admin.put(url, json={"generalIsMarketing": False})
    assert response.status_code == 200, response.text
    assert response.json()["generalIsMarketing"] is False
    assert admin.get(url).json()["generalIsMarketing"] is False
    plain = send(api, 1, messageCategory="GENERAL")
    said = send(api, 2, messageCategory="GENERAL", marketing=True)
    _bulk(api, customerIds=[3])
    assert (message(api, plain["messageId"])["marketing"], message(api, said["messageId"])["marketing"]) == (
        False,
        True,
    )
    worker.drain()
    arrived = _by_recipient(smtp)
    assert {who: _marked(mail) for who, mail in arrived.items()} == {
        "member1@example.org": False,
        "member2@example.org": True,
        "member3@example.org": False,
    }


def test_a_queued_message_keeps_the_flag_it_was_accepted_with(
    api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer
) -> None:
    """The worker reads the stored flag: changing the studio's default later changes no queued mail."""
    url = _message_settings(world)
    before = send(api, 1, messageCategory="GENERAL")
    assert admin.put(url, json={"generalIsMarketing": False}).status_code == 200
    after = send(api, 2, messageCategory="GENERAL")
    # PUT replaces: an absent generalIsMarketing is the default (true) again.
    assert admin.put(url, json={}).json()["generalIsMarketing"] is True
    worker.drain()
    arrived = _by_recipient(smtp)
    assert (_marked(arrived["member1@example.org"]), _marked(arrived["member2@example.org"])) == (True, False)
    assert message(api, before["messageId"])["marketing"] is True
    assert message(api, after["messageId"])["marketing"] is False


@pytest.mark.parametrize("category", ["NEWSLETTER", "LOYALTY_PROGRAM"])
def test_newsletter_and_loyalty_mail_always_carry_them(
    category: str, api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer
) -> None:
    # Whatever the studio says about GENERAL.
    assert admin.put(_message_settings(world), json={"generalIsMarketing": False}).status_code == 200
    for customer in (1, 2, 3):
        set_preference(api, customer, category, "EMAIL", active=True)
    unsaid = send(api, 1, messageCategory=category)
    said = send(api, 2, messageCategory=category, marketing=True)
    _bulk(api, customerIds=[3], messageCategory=category)
    assert message(api, unsaid["messageId"])["marketing"] is True
    assert message(api, said["messageId"])["marketing"] is True
    worker.drain()
    assert len(smtp.arrived) == 3
    assert all(_marked(arrived) for arrived in smtp.arrived)


@pytest.mark.parametrize("category", ["APPOINTMENT", "CONTRACT"])
def test_appointment_and_contract_mail_never_carries_them(
    category: str, api: TestClient, worker: Worker, smtp: SmtpServer
) -> None:
    unsaid = send(api, 1, messageCategory=category)
    said = send(api, 2, messageCategory=category, marketing=False)
    _bulk(api, customerIds=[3], messageCategory=category)
    assert message(api, unsaid["messageId"])["marketing"] is False
    assert message(api, said["messageId"])["marketing"] is False
    worker.drain()
    assert len(smtp.arrived) == 3
    assert not any(_marked(arrived) for arrived in smtp.arrived)


@pytest.mark.parametrize(
    ("category", "flag", "english", "german"),
    [
        ("APPOINTMENT", True, "APPOINTMENT messages are never marketing", "nie Werbung"),
        ("CONTRACT", True, "CONTRACT messages are never marketing", "nie Werbung"),
        ("NEWSLETTER", False, "NEWSLETTER messages are always marketing", "immer Werbung"),
        ("LOYALTY_PROGRAM", False, "LOYALTY_PROGRAM messages are always marketing", "immer Werbung"),
    ],
)
def test_a_flag_against_the_category_is_400_and_nothing_is_stored(
    category: str, flag: bool, english: str, german: str, api: TestClient, db: Database
) -> None:
    if category in {"NEWSLETTER", "LOYALTY_PROGRAM"}:
        set_preference(api, 1, category, "EMAIL", active=True)  # else refused for that first
    single = {
        "messageCategory": category,
        "communicationChannel": "EMAIL",
        "subject": "S",
        "content": "C",
        "marketing": flag,
    }
    response = api.post("/v1/communications/1/messages", json=single)
    assert english in assert_error(response, 400, "MARKETING_FLAG_NOT_ALLOWED", "marketing")["errorMessage"]
    response = api.post("/v1/communications/1/messages", json=single, headers={"Accept-Language": "de"})
    assert german in assert_error(response, 400, "MARKETING_FLAG_NOT_ALLOWED", "marketing")["errorMessage"]
    bulk = {**single, "customerIds": [1, 2]}
    response = api.post("/v1/messages", json=bulk)
    assert english in assert_error(response, 400, "MARKETING_FLAG_NOT_ALLOWED", "marketing")["errorMessage"]
    assert _stored(db) == (0, 0)
    assert api.get("/v1/communications/1/threads").json()["result"] == []


@pytest.mark.parametrize("value", ["true", 1, 0, "yes", [], {}])
def test_marketing_is_a_json_boolean(value: object, api: TestClient, db: Database) -> None:
    body = {"messageCategory": "GENERAL", "communicationChannel": "EMAIL", "subject": "S", "content": "C"}
    assert_error(
        api.post("/v1/communications/1/messages", json={**body, "marketing": value}), 400, "VALIDATION_FAILED"
    )
    assert_error(
        api.post("/v1/messages", json={**body, "customerIds": [1], "marketing": value}),
        400,
        "VALIDATION_FAILED",
    )
    assert _stored(db) == (0, 0)
    # null is the same as leaving it out.
    accepted = send(api, messageCategory="GENERAL", marketing=None)
    assert message(api, accepted["messageId"])["marketing"] is True


def test_the_studio_setting_is_a_json_boolean(admin: TestClient, world: World) -> None:
    url = _message_settings(world)
    for value in ("false", 0, None):
        assert_error(admin.put(url, json={"generalIsMarketing": value}), 400, "VALIDATION_FAILED")
    assert admin.get(url).json()["generalIsMarketing"] is True


def test_general_mail_the_studio_enforces_has_no_unsubscribe_but_keeps_its_footer(
    api: TestClient, admin: TestClient, world: World, worker: Worker, smtp: SmtpServer
) -> None:
    """A slot no member may switch off has no one-click link to offer: marketing or not, the mail
    goes without the headers, and still with the preference-center link."""
    offer = [
        {**entry, "channels": [{**c, "customerOverridable": False} for c in entry["channels"]]}
        if entry["messageCategory"] == "GENERAL"
        else entry
        for entry in DEFAULT_SETTINGS
    ]
    response = admin.put(SETTINGS.format(world.studio_a), json=offer)
    assert response.status_code == 200, response.text
    accepted = send(api, messageCategory="GENERAL")
    assert message(api, accepted["messageId"])["marketing"] is True
    worker.drain()
    [arrived] = smtp.arrived
    assert not _marked(arrived)
    assert f"{PUBLIC_URL}/preferences/" in arrived.mail.get_body(("plain",)).get_content()


@pytest.fixture
def dkim_key(tmp_path: Path) -> tuple[Path, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "dkim.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return path, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def test_dkim_signs_both_unsubscribe_headers_of_general_marketing_mail(
    api: TestClient,
    db: Database,
    clock: FixedClock,
    settings: Settings,
    smtp: SmtpServer,
    dkim_key: tuple[Path, bytes],
) -> None:
    path, record = dkim_key
    signing = settings.model_copy(update={"dkim_private_key_path": path, "dkim_selector": "mk2026"})
    send(api, 1, messageCategory="GENERAL")
    _bulk(api, customerIds=[2])
    worker = build_worker(signing, db, clock=clock, listen=False)
    try:
        worker.drain()
    finally:
        worker.close()
    assert len(smtp.arrived) == 2
    for arrived in smtp.arrived:
        assert _marked(arrived)
        assert dkim.verify(arrived.raw, dnsfunc=lambda name, timeout=5: record) is True
        tags = dict(
            part.strip().split("=", 1)
            for part in "".join(arrived.mail["DKIM-Signature"].split()).split(";")
            if part.strip()
        )
        signed = tags["h"].lower().split(":")
        # Gmail wants the one-click headers covered by the signature (RFC 8058 §4).
        assert "list-unsubscribe" in signed
        assert "list-unsubscribe-post" in signed
        # A relay that rewrote the link would break the signature.
        tampered = arrived.raw.replace(b"/unsubscribe/", b"/unsubscribe/x", 1)
        assert dkim.verify(tampered, dnsfunc=lambda name, timeout=5: record) is False
