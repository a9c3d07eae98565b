"""Composing the e-mail (pure): encoded non-ASCII headers, no header injection, stable Message-ID."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

from studio_comms.core.vocabulary import CommunicationChannel, MessageCategory
from studio_comms.messages.email_message import compose, message_id_for
from studio_comms.messages.transports import OutgoingMessage


def _message(**overrides: object) -> OutgoingMessage:
    fields: dict[str, object] = {
        "message_id": 42,
        "studio_id": 7,
        "customer_id": 1,
        "channel": CommunicationChannel.EMAIL,
        "category": MessageCategory.GENERAL,
        "to": "erika@example.org",
        "subject": "Grüße aus dem Studio",
        "content": "Hallo Erika,\nbis bald!",
        "html": None,
        "sender_name": "Fitness Müller",
        "sender_address": "hallo@mueller.example",
    }
    fields.update(overrides)
    return OutgoingMessage(**fields)  # type: ignore[arg-type]


def test_non_ascii_headers_are_encoded_and_read_back() -> None:
    raw = compose(_message(), date=datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    assert raw.isascii()
    mail = message_from_bytes(raw, policy=policy.default)
    assert mail["Subject"] == "Grüße aus dem Studio"
    assert mail["From"] == "Fitness Müller <hallo@mueller.example>"
    assert (
        mail["Message-ID"]
        == "<studio-comms.7.42@mueller.example>"
        == message_id_for(7, 42, "hallo@mueller.example")
    )
    assert mail.get_body(("plain",)).get_content().replace("\r\n", "\n").strip() == "Hallo Erika,\nbis bald!"


def test_a_line_break_in_a_subject_or_name_cannot_add_a_header() -> None:
    raw = compose(
        _message(subject="Hi\r\nBcc: victim@example.org", sender_name="Studio\nX-Evil: 1"),
        date=datetime(2026, 11, 27, 9, 0, tzinfo=UTC),
    )
    mail = message_from_bytes(raw, policy=policy.default)
    assert mail["Bcc"] is None
    assert mail["X-Evil"] is None
    assert mail["Subject"] == "Hi Bcc: victim@example.org"


def test_the_message_id_is_kept_by_relays_that_would_replace_it() -> None:
    # Postmark keeps our Message-ID only with this header; its event webhooks name the message
    # by it (tests/mailevents/test_postmark.py).
    raw = compose(_message(), date=datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    mail = message_from_bytes(raw, policy=policy.default)
    assert mail["X-PM-KeepID"] == "true"
    assert mail["Message-ID"] == message_id_for(7, 42, "hallo@mueller.example")
