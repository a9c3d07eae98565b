"""Building the e-mail (pure): headers, text and HTML parts, the preference-center footer, DKIM.

``Message-ID`` is derived from the studio and message ids, so every attempt of one message carries
the same id and a receiver (or a mailbox) can tell a resend after a crash from a new message.
"""

from __future__ import annotations

import html as html_escape
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from pathlib import Path

import dkim

from studio_comms.messages.transports import OutgoingMessage

# What the signature covers: the headers a forger would change, and the unsubscribe headers
# (RFC 8058 asks for them to be signed).
SIGNED_HEADERS = (
    b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"content-type",
    b"list-unsubscribe", b"list-unsubscribe-post",
)  # fmt: skip
_FOOTER = {
    "en": "Manage which messages you receive: {link}",
    "de": "Verwalten Sie, welche Nachrichten Sie erhalten: {link}",
}


@dataclass(frozen=True, slots=True)
class DkimKey:
    selector: str
    domain: str
    private_key: bytes

    @classmethod
    def load(cls, path: Path, *, selector: str, domain: str) -> DkimKey:
        return cls(selector=selector, domain=domain, private_key=path.read_bytes())


def domain_of(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"


def message_id_for(studio_id: int, message_id: int, sender_address: str) -> str:
    return f"<studio-comms.{studio_id}.{message_id}@{domain_of(sender_address)}>"


def compose(message: OutgoingMessage, *, date: datetime, dkim_key: DkimKey | None = None) -> bytes:
    """The message as it goes on the wire (CRLF line ends), DKIM-signed when a key is given."""
    mail = EmailMessage(policy=SMTP)
    mail["From"] = formataddr((message.sender_name, message.sender_address))
    mail["To"] = message.to
    mail["Subject"] = message.subject or ""
    mail["Date"] = format_datetime(date)
    mail["Message-ID"] = message.message_id_header or message_id_for(
        message.studio_id, message.message_id, message.sender_address
    )
    for name, value in message.headers:
        mail[name] = value
    text = message.content
    footer = None
    if message.preference_link:
        footer = _FOOTER.get(message.language, _FOOTER["en"]).format(link=message.preference_link)
        text = f"{text}\n\n-- \n{footer}\n"
    mail.set_content(text)
    if message.html is not None:
        body = message.html
        if footer is not None and message.preference_link is not None:
            link = html_escape.escape(message.preference_link, quote=True)
            label = html_escape.escape(footer.rsplit(":", 1)[0])
            body = f'{body}\n<p style="font-size:small"><a href="{link}">{label}</a></p>\n'
        mail.add_alternative(body, subtype="html")
    raw = mail.as_bytes()
    if dkim_key is None:
        return raw
    present = {name.lower().encode() for name in mail}
    signature = dkim.sign(
        raw,
        dkim_key.selector.encode(),
        dkim_key.domain.encode(),
        dkim_key.private_key,
        include_headers=[name for name in SIGNED_HEADERS if name in present],
    )
    return bytes(signature) + raw
