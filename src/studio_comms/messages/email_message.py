"""Building the e-mail (pure): headers, text and HTML parts, the preference-center footer, DKIM.

``Message-ID`` is derived from the studio and message ids, so every attempt of one message carries
the same id and a receiver (or a mailbox) can tell a resend after a crash from a new message.
"""

from __future__ import annotations

import html as html_escape
from dataclasses import dataclass
from datetime import datetime
from email.charset import QP, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
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
# Lines up to RFC 5322's limit: a folded List-Unsubscribe (a long signed URL) reads back with a
# leading blank, which some clients do not strip.
# Quoted-printable: a text stays readable on the wire and in .eml files (base64 hides it).
_UTF8 = Charset("utf-8")
_UTF8.body_encoding = QP
_WIRE = compat32.clone(linesep="\r\n", max_line_length=998)
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


def _one_line(value: str) -> str:
    # A subject or studio name with a line break must not start a header of its own.
    return " ".join(value.splitlines())


def _header(value: str) -> str:
    value = _one_line(value)
    return value if value.isascii() else Header(value, "utf-8").encode()


def compose(message: OutgoingMessage, *, date: datetime, dkim_key: DkimKey | None = None) -> bytes:
    """The message as it goes on the wire (CRLF line ends), DKIM-signed when a key is given.

    Built with the compat32 classes: the modern ``EmailMessage`` parses every header it is given
    again (measured: most of the worker's time per e-mail).
    """
    text = message.content
    footer = None
    if message.preference_link:
        footer = _FOOTER.get(message.language, _FOOTER["en"]).format(link=message.preference_link)
        text = f"{text}\n\n-- \n{footer}\n"
    mail: MIMEText | MIMEMultipart = MIMEText(text, "plain", _UTF8)  # type: ignore[arg-type]
    if message.html is not None:
        body = message.html
        if footer is not None and message.preference_link is not None:
            link = html_escape.escape(message.preference_link, quote=True)
            label = html_escape.escape(footer.rsplit(":", 1)[0])
            body = f'{body}\n<p style="font-size:small"><a href="{link}">{label}</a></p>\n'
        html_part = MIMEText(body, "html", _UTF8)  # type: ignore[arg-type]
        mail = MIMEMultipart("alternative", _subparts=[mail, html_part])
    mail["From"] = formataddr((_one_line(message.sender_name), message.sender_address), charset="utf-8")
    mail["To"] = message.to
    mail["Subject"] = _header(message.subject or "")
    mail["Date"] = format_datetime(date)
    mail["Message-ID"] = message.message_id_header or message_id_for(
        message.studio_id, message.message_id, message.sender_address
    )
    # Postmark replaces the Message-ID unless asked to keep it; its events (mailevents) then
    # could not name our message. Other relays and MTAs ignore the header.
    mail["X-PM-KeepID"] = "true"
    for name, value in message.headers:
        mail[name] = _one_line(value)
    raw = mail.as_bytes(policy=_WIRE)
    if dkim_key is None:
        return raw
    present = {name.lower().encode() for name in mail}
    signature = dkim.sign(
        raw,
        dkim_key.selector.encode(),
        dkim_key.domain.encode(),
        dkim_key.private_key,
        include_headers=[name for name in SIGNED_HEADERS if name in present],
        # Relaxed for headers and body: relays that refold a header or trim trailing blanks do
        # not break the signature.
        canonicalize=(b"relaxed", b"relaxed"),
    )
    return bytes(signature) + raw
