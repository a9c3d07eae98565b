"""What each provider's event body says, in one shape: which event, about which message and
recipient, and what kind of news (pure: no I/O).

Our message is named by our ``Message-ID`` (``<studio-comms.{studioId}.{messageId}@…>``), which
the providers echo where they keep it: Mailgun's ``message.headers.message-id``, SendGrid's
``smtp-id``, Postmark's ``MessageID`` when the message went out with ``X-PM-KeepID: true``; or a
metadata field ``studio-comms-message-id`` (Postmark ``Metadata``, Mailgun ``user-variables``,
SendGrid custom args) holding it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from studio_comms.core.mailstatus import Reason, Verdict, judge, status_in
from studio_comms.mailevents.errors import MailEventMalformed

METADATA_KEY = "studio-comms-message-id"


class Kind(StrEnum):
    HARD_BOUNCE = "HARD_BOUNCE"
    SOFT_BOUNCE = "SOFT_BOUNCE"
    COMPLAINT = "COMPLAINT"
    DELIVERED = "DELIVERED"
    UNSUBSCRIBE = "UNSUBSCRIBE"
    OTHER = "OTHER"


@dataclass(frozen=True, slots=True)
class Event:
    event_id: str
    kind: Kind
    message_id_header: str | None
    recipient: str | None
    reason: Reason | None = None
    diagnostic: str | None = None


def _text(value: object, limit: int = 2000) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MailEventMalformed()
    text = str(value).replace("\x00", "")
    return text[:limit] or None


def _object(value: object) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MailEventMalformed()
    return value


def _bounce(diagnostic: str | None, status: str | None, *, provider_hard: bool) -> tuple[Kind, Reason]:
    """Through the same reasons as returned mail (``core.mailstatus``). The provider's own "hard"
    counts only where the diagnostic says nothing readable: a sender-side 5.7.x the provider
    files as hard still never touches the member."""
    verdict: Verdict = judge(status or status_in(diagnostic), diagnostic, action="failed")
    if verdict.hard:
        return Kind.HARD_BOUNCE, verdict.reason
    if verdict.reason is Reason.UNKNOWN and provider_hard:
        return Kind.HARD_BOUNCE, Reason.USER_UNKNOWN
    return Kind.SOFT_BOUNCE, verdict.reason


_REASONS = {Kind.DELIVERED: Reason.DELIVERED, Kind.COMPLAINT: Reason.COMPLAINT}


def _ours(*candidates: object) -> str | None:
    for candidate in candidates:
        if isinstance(candidate, str) and "studio-comms." in candidate:
            return candidate.strip()[:255]
    return None


# --- Postmark: one JSON object per request, ``RecordType`` says which webhook --------------------

_POSTMARK_HARD = {"HardBounce", "BadEmailAddress", "ManuallyDeactivated"}


def postmark(body: object) -> list[Event]:
    data = _object(body)
    record = _text(data.get("RecordType"), 32)
    if record is None:
        raise MailEventMalformed(reference="RecordType")
    message = _ours(_object(data.get("Metadata")).get(METADATA_KEY), data.get("MessageID"))
    recipient = _text(data.get("Email") or data.get("Recipient"), 320)
    if record in ("Bounce", "SpamComplaint"):
        number = _text(data.get("ID"), 64)
        if number is None:
            raise MailEventMalformed(reference="ID")
        event_id = f"{record}:{number}"
        if record == "SpamComplaint":
            return [Event(event_id, Kind.COMPLAINT, message, recipient, Reason.COMPLAINT)]
        details = _text(data.get("Details"))
        bounce_type = _text(data.get("Type"), 64) or ""
        if bounce_type == "SpamComplaint":
            return [Event(event_id, Kind.COMPLAINT, message, recipient, Reason.COMPLAINT, details)]
        kind, reason = _bounce(details, None, provider_hard=bounce_type in _POSTMARK_HARD)
        return [Event(event_id, kind, message, recipient, reason, details)]
    # Delivery and SubscriptionChange carry no event id: the message, recipient and time name it.
    when = _text(data.get("DeliveredAt") or data.get("ChangedAt"), 64)
    event_id = f"{record}:{_text(data.get('MessageID'), 64)}:{recipient}:{when}"[:255]
    if record == "Delivery":
        return [Event(event_id, Kind.DELIVERED, message, recipient, Reason.DELIVERED)]
    manual = data.get("SuppressSending") is True and data.get("SuppressionReason") == "ManualSuppression"
    if record == "SubscriptionChange" and manual:
        return [Event(event_id, Kind.UNSUBSCRIBE, message, recipient)]
    return [Event(event_id, Kind.OTHER, message, recipient)]


# --- Mailgun: {"signature": {...}, "event-data": {...}} -------------------------------------------


@dataclass(frozen=True, slots=True)
class MailgunSignature:
    timestamp: str
    token: str
    signature: str


def mailgun_signature(body: object) -> MailgunSignature | None:
    if not isinstance(body, dict) or not isinstance(body.get("signature"), dict):
        return None
    fields = body["signature"]
    values = [fields.get(name) for name in ("timestamp", "token", "signature")]
    if not all(isinstance(value, str) and 0 < len(value) <= 255 for value in values):
        return None
    return MailgunSignature(*values)


def mailgun(body: object) -> list[Event]:
    data = _object(_object(body).get("event-data"))
    event_id = _text(data.get("id"), 200)
    name = _text(data.get("event"), 32)
    if event_id is None or name is None:
        raise MailEventMalformed(reference="event-data")
    headers = _object(_object(data.get("message")).get("headers"))
    message = _ours(_object(data.get("user-variables")).get(METADATA_KEY), headers.get("message-id"))
    if message is not None and not message.startswith("<"):
        message = f"<{message}>"  # Mailgun quotes it without the brackets
    recipient = _text(data.get("recipient"), 320)
    if name == "failed":
        status = _object(data.get("delivery-status"))
        diagnostic = " ".join(
            text
            for text in (
                _text(status.get("code"), 8),
                _text(status.get("message")),
                _text(status.get("description")),
            )
            if text
        )
        permanent = data.get("severity") == "permanent"
        if not permanent:
            return [
                Event(
                    event_id,
                    Kind.SOFT_BOUNCE,
                    message,
                    recipient,
                    _bounce(diagnostic, None, provider_hard=False)[1],
                    diagnostic,
                )
            ]
        kind, reason = _bounce(
            diagnostic, None, provider_hard=data.get("reason") in ("bounce", "suppress-bounce")
        )
        return [Event(event_id, kind, message, recipient, reason, diagnostic or None)]
    kinds = {"delivered": Kind.DELIVERED, "complained": Kind.COMPLAINT, "unsubscribed": Kind.UNSUBSCRIBE}
    kind = kinds.get(name, Kind.OTHER)
    return [Event(event_id, kind, message, recipient, _REASONS.get(kind))]


# --- SendGrid: a JSON array of events --------------------------------------------------------------


def sendgrid(body: object) -> list[Event]:
    if not isinstance(body, list) or not body:
        raise MailEventMalformed()
    return [_sendgrid_event(_object(item)) for item in body]


def _sendgrid_event(data: dict[str, Any]) -> Event:
    event_id = _text(data.get("sg_event_id"), 200)
    name = _text(data.get("event"), 32)
    if event_id is None or name is None:
        raise MailEventMalformed(reference="sg_event_id")
    message = _ours(data.get(METADATA_KEY), data.get("smtp-id"))
    recipient = _text(data.get("email"), 320)
    if name in ("bounce", "deferred"):
        diagnostic = _text(data.get("reason") or data.get("response"))
        status = _text(data.get("status"), 16)
        if name == "deferred":
            return Event(
                event_id,
                Kind.SOFT_BOUNCE,
                message,
                recipient,
                _bounce(diagnostic, status, provider_hard=False)[1],
                diagnostic,
            )
        # type "blocked" is SendGrid's word for a refusal of the message, not of the address.
        kind, reason = _bounce(diagnostic, status, provider_hard=data.get("type", "bounce") == "bounce")
        return Event(event_id, kind, message, recipient, reason, diagnostic)
    kinds = {
        "delivered": Kind.DELIVERED,
        "spamreport": Kind.COMPLAINT,
        "unsubscribe": Kind.UNSUBSCRIBE,
        "group_unsubscribe": Kind.UNSUBSCRIBE,
    }
    kind = kinds.get(name, Kind.OTHER)
    return Event(event_id, kind, message, recipient, _REASONS.get(kind))
