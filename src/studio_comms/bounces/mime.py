"""The few things of a report message both kinds need, read with the stdlib ``email`` package.

Reports come from every kind of mail system: headers are read leniently (``compat32``, folded
whitespace collapsed) and a part that is missing simply yields nothing. What the parser is given
is bounded first (:func:`parse`): NUL characters go (PostgreSQL refuses them in text, SQLite would
keep them: both databases then store the same), and a message nesting more multiparts than any
mail system writes is refused before the stdlib parser recurses into it.
"""

from __future__ import annotations

import email
import re
from email.message import Message
from email.parser import HeaderParser
from email.utils import parseaddr

# The Message-ID the messages package gives every mail it sends (messages.email_message.message_id_for):
# <studio-comms.{studioId}.{messageId}@host>.
_OUR_MESSAGE_ID = re.compile(r"^<?studio-comms\.([0-9]{1,19})\.([0-9]{1,19})@[^>]+>?$")
_INT64_MAX = 2**63 - 1
# Real reports nest a few levels (a report inside a forward inside a digest); every multipart or
# message/* declaration may open one more level, so their number bounds the depth the stdlib
# parser recurses to (1,000 of them exhaust Python's stack).
MAX_NESTED_PARTS = 64
_NESTING = re.compile(rb"content-type:\s*(?:multipart/|message/)", re.IGNORECASE)


class Unreadable(ValueError):
    """A message the parser is not given: nested deeper than any mail system writes."""


def parse(raw: bytes) -> Message:
    raw = raw.replace(b"\0", b"")
    if len(_NESTING.findall(raw)) > MAX_NESTED_PARTS:
        raise Unreadable(f"more than {MAX_NESTED_PARTS} multipart or message parts")
    try:
        return email.message_from_bytes(raw)
    except RecursionError:  # pragma: no cover - the count above keeps the parser shallow
        raise Unreadable("nested too deeply") from None


def field(headers: Message, name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        return None
    # A decoded part (base64 text/rfc822-headers) may still carry NUL: stripped the same everywhere.
    return " ".join(str(value).replace("\0", "").split()) or None


def report_parts(message: Message, report_type: str) -> list[Message] | None:
    """The parts of a ``multipart/report`` of ``report_type``; None for any other message."""
    if message.get_content_type() != "multipart/report":
        return None
    declared = message.get_param("report-type")
    if not isinstance(declared, str) or declared.lower() != report_type:
        return None
    payload = message.get_payload()
    return [part for part in payload if isinstance(part, Message)] if isinstance(payload, list) else []


def field_blocks(part: Message) -> list[Message]:
    """The header blocks of a ``message/delivery-status`` or ``message/feedback-report`` part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    if isinstance(payload, str):
        return [
            HeaderParser().parsestr(block.strip() + "\n") for block in re.split(r"\n\s*\n", payload) if block
        ]
    return []


def original_headers(parts: list[Message]) -> Message | None:
    """The returned message's headers: a ``message/rfc822`` or ``text/rfc822-headers`` part."""
    for part in parts:
        kind = part.get_content_type()
        if kind == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
        if kind == "text/rfc822-headers":
            text = part.get_payload(decode=True)
            if isinstance(text, bytes):
                return HeaderParser().parsestr(text.decode("utf-8", "replace"))
    return None


def address_of(value: str | None) -> str | None:
    """``rfc822; a@b``, ``<a@b>`` or ``Name <a@b>`` as ``a@b``; None if no address is in it."""
    if not value:
        return None
    if ";" in value:
        kind, _, value = value.partition(";")
        if kind.strip().lower() not in ("rfc822", ""):
            return None  # an address of another type (X.400 …) is nobody's e-mail address here
    address = parseaddr(value.strip())[1]
    return address if "@" in address else None


def our_message(message_id: str | None) -> tuple[int, int] | None:
    """(messageId, studioId) of a Message-ID we gave, else None (also for ids beyond int64: no
    row has them, and SQLite's driver cannot even bind them)."""
    found = _OUR_MESSAGE_ID.match(message_id.strip()) if message_id else None
    if found is None:
        return None
    studio_id, message_number = int(found.group(1)), int(found.group(2))
    if not (1 <= studio_id <= _INT64_MAX and 1 <= message_number <= _INT64_MAX):
        return None
    return message_number, studio_id
