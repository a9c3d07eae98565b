"""What is no RFC report: the common text bounces (qmail, Exim, Exchange, Yahoo, SMTP32 …) and
auto-replies (RFC 3834, out-of-office).

Which addresses a text bounce names is found by ``flufl.bounce`` (it knows many MTAs' wordings,
and ``X-Failed-Recipients``); whether each failed for good is not taken from it but judged by
``core.mailstatus`` from the notice's own words and codes (the text before the returned message).
"""

from __future__ import annotations

import logging
import re
from email.header import decode_header, make_header
from email.message import Message

from flufl.bounce import all_failures

from studio_comms.bounces.dsn import DeliveryReport, RecipientStatus
from studio_comms.bounces.mime import address_of, field
from studio_comms.core.mailstatus import reason_in

# flufl.bounce logs a line at INFO for each of its ~30 detectors on every message, and a traceback
# at ERROR when one of them trips over input it was not written for (its Yale detector on a
# message without From) — an exception it catches itself. Neither is ours to act on: an operator
# would read 30 lines and a scary traceback per returned mail. Only its critical lines pass.
logging.getLogger("flufl.bounce").setLevel(logging.CRITICAL)

# Where the notice ends and the returned message begins, in the wordings MTAs use.
_RETURNED = re.compile(
    r"^\s*(?:-{2,}.{0,40}(?:original|returned|undelivered|below this line|message follows|headers? follow).*"
    r"|.{0,20}original message.{0,20}$|return-path:.*|received: from .*)$",
    re.IGNORECASE | re.MULTILINE,
)
_NEXT_PART = re.compile(r"^content-(?:type|description):", re.IGNORECASE | re.MULTILINE)
_BOUNCE_SENDER = re.compile(
    r"mailer-daemon|postmaster|mail delivery|mail administrator|mdaemon", re.IGNORECASE
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (?:status|fail|notification|problem|report)|failure notice|returned mail|"
    r"mail delivery failed|nondeliverable|non-deliverable|could not be delivered|delivery has failed|"
    r"permanent error|mail system error|undelivered|returned to sender|rejected|non-?delivery|unzustellbar|"
    r"nicht zustellbar|non remis",
    re.IGNORECASE,
)
_AUTO_SUBJECT = re.compile(
    r"out of (?:the )?office|automatic reply|auto(?:matic)?[- ]?(?:reply|response|antwort)|abwesen|vacation|"
    r"away from|on holiday|urlaub|autoreply|nieobecno|réponse automatique|respuesta autom|"
    r"risposta automatica|"
    r"automatyczna|thank you for your (?:e-?mail|message)|i am (?:currently )?away",
    re.IGNORECASE,
)
_OUR_ID = re.compile(r"<?studio-comms\.[0-9]{1,19}\.[0-9]{1,19}@[A-Za-z0-9.-]+>?")
_MESSAGE_ID = re.compile(r"^message-id:\s*(<[^>\s]+>)", re.IGNORECASE | re.MULTILINE)
MAX_TEXT = 200_000
_QUOTED_SUBJECT = re.compile(
    r"subject: .{0,200}?(?= sent:| date:| did not reach| to:| was not delivered)", re.IGNORECASE
)


def _texts(message: Message) -> list[str]:
    """The decoded text parts, in order (returned messages inside included)."""
    texts = []
    for part in message.walk():
        if part.get_content_maintype() != "text" and part is not message:
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            texts.append(payload[:MAX_TEXT].decode(part.get_content_charset() or "latin-1", "replace"))
    return texts


def notice_of(message: Message) -> str:
    """The notice's words on one line, without the returned message's quoted subject."""
    # The returned message's subject, quoted in the notice, is the sender's words, not the reason.
    return _QUOTED_SUBJECT.sub(" ", " ".join(_notice(message).split()))[:4000]


def _notice(message: Message) -> str:
    """The words of the notice: the first text, cut where the returned message begins."""
    texts = _texts(message)
    first = texts[0] if texts else ""
    cut = _RETURNED.search(first)
    first = first[: cut.start()] if cut else first
    # A report whose MIME structure is broken reads as one text: its next part's headers end the
    # notice (not a MIME preamble's, in the first lines).
    part = _NEXT_PART.search(first, 300)
    return first[: part.start()] if part else first


def _subject(message: Message) -> str:
    raw = field(message, "Subject") or ""
    try:
        return str(make_header(decode_header(raw)))
    except (ValueError, LookupError, UnicodeError):
        return raw


def is_bounce(message: Message) -> bool:
    return bool(
        message.get("X-Failed-Recipients")
        or _BOUNCE_SENDER.search(field(message, "From") or "")
        or _BOUNCE_SUBJECT.search(_subject(message))
    )


def is_auto_reply(message: Message) -> bool:
    """RFC 3834 (``Auto-Submitted``), the vendors' headers, or an out-of-office subject."""
    if is_bounce(message):
        return False
    auto = (field(message, "Auto-Submitted") or "no").lower()
    return bool(
        auto != "no"
        or message.get("X-Autoreply")
        or message.get("X-Autorespond")
        or (field(message, "Precedence") or "").lower() == "auto_reply"
        or _AUTO_SUBJECT.search(_subject(message))
    )


def original_message_id(message: Message) -> str | None:
    """The returned message's Message-ID: one of ours anywhere in the message, else the first
    ``Message-ID:`` quoted after the notice."""
    texts = "\n".join(_texts(message))
    for part in message.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            inner = part.get_payload()
            if isinstance(inner, list):
                texts += "\n" + "\n".join(
                    f"Message-ID: {m.get('Message-ID', '')}" for m in inner if isinstance(m, Message)
                )
    ours = _OUR_ID.search(texts)
    if ours is not None:
        return ours.group(0)
    quoted = _MESSAGE_ID.findall(texts)
    return quoted[0] if quoted else None


def _flufl(message: Message) -> tuple[frozenset[bytes], frozenset[bytes]]:
    """flufl.bounce's (temporary, permanent) addresses; nothing when one of its detectors trips
    over a message it was not written for (its Yale detector indexes past a list's end on
    garbage): hostile input must not become a 500."""
    try:
        temporary, permanent = all_failures(message)
    except Exception:
        return frozenset(), frozenset()
    return frozenset(temporary), frozenset(permanent)


def read_text_bounce(message: Message) -> DeliveryReport | None:
    """A text bounce's failed recipients, each judged by the notice's words; None if none."""
    temporary, permanent = _flufl(message)
    if not (temporary or permanent or is_bounce(message)):
        return None
    addresses: list[str] = []
    for raw in sorted(permanent) + sorted(temporary):
        found = address_of(raw.decode("utf-8", "replace"))
        if found is not None and found.lower() not in {a.lower() for a in addresses}:
            addresses.append(found)
    for header in message.get_all("X-Failed-Recipients") or []:
        for part in str(header).split(","):
            found = address_of(part)
            if found is not None and found.lower() not in {a.lower() for a in addresses}:
                addresses.append(found)
    if not addresses and is_bounce(message):
        addresses = _named_with_a_reason(message)
    if not addresses:
        return None
    notice = notice_of(message)
    return DeliveryReport(
        reporting_mta=field(message, "From"),
        recipients=[
            RecipientStatus(address, "failed", None, None, near(notice, address, addresses), text_bounce=True)
            for address in addresses
        ],
        original_message_id=original_message_id(message),
    )


def near(notice: str, address: str, others: list[str]) -> str:
    """The words about ``address``: around each place the notice names it, up to the next other
    failed address (so one recipient's reason is not read as another's); the whole notice if it
    names it nowhere."""
    lowered = notice.lower()
    mine = [m.start() for m in re.finditer(re.escape(address.lower()), lowered)]
    if not mine:
        return notice
    theirs = sorted(
        m.start()
        for other in others
        if other.lower() != address.lower() and other.lower() not in address.lower()
        for m in re.finditer(re.escape(other.lower()), lowered)
    )
    segments = []
    for at in mine:
        start = max([at - 150] + [p + 1 for p in theirs if p < at])
        end = min([at + len(address) + 400] + [p for p in theirs if p > at])
        segments.append(notice[max(0, start) : end])
    words = " … ".join(segments)
    # "The following recipients did not receive it: <a> <b>", the reason said once for all.
    return words if reason_in(words) is not None else notice


_ADDRESS = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_FAILURE_WORDS = re.compile(
    r"\b[45]\d\d\b|[45]\.\d{1,3}\.\d{1,3}|unknown|not found|does not exist|invalid|full|quota|disabled|"
    r"undeliverable|rejected|refused|failed",
    re.IGNORECASE,
)


def _returned_to(message: Message) -> list[str]:
    """A notice that names nobody ("one or more of the recipients are not valid"): the returned
    message's one ``To`` (each message studio-comms sends has one recipient, and attribution
    checks it)."""
    for part in message.walk():
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                found = address_of(field(inner[0], "To"))
                return [found] if found is not None and "," not in (field(inner[0], "To") or "") else []
    return []


def _named_with_a_reason(message: Message) -> list[str]:
    """Addresses the notice names on a line that says what went wrong with them (what flufl.bounce
    does not know, e.g. Novell GroupWise): never the bounce's own sender or recipient."""
    own = {
        a.lower() for a in _ADDRESS.findall(f"{field(message, 'To') or ''} {field(message, 'From') or ''}")
    }
    found: list[str] = []
    for line in _notice(message).splitlines():
        if not _FAILURE_WORDS.search(_ADDRESS.sub(" ", line)):
            continue
        for address in _ADDRESS.findall(line):
            if address.lower() not in own and address.lower() not in {a.lower() for a in found}:
                found.append(address)
    return found[:20]
