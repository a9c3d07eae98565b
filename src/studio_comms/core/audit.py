"""Who made a change, as the consent ledger records it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from starlette.requests import HTTPConnection


class ChangeSource(StrEnum):
    API_KEY = "API_KEY"
    PREFERENCE_CENTER = "PREFERENCE_CENTER"
    UNSUBSCRIBE_LINK = "UNSUBSCRIBE_LINK"
    OPERATOR = "OPERATOR"
    # What came back from a send: a member's SMS reply (STOP/START), a hard bounce, a complaint.
    INBOUND_KEYWORD = "INBOUND_KEYWORD"
    BOUNCE = "BOUNCE"
    COMPLAINT = "COMPLAINT"


@dataclass(frozen=True, slots=True)
class Audit:
    source: ChangeSource
    actor: str
    request_id: str | None = None
    ip_address: str | None = None
    user_agent: str | None = None
    # The version of the texts a member saw when changing preferences on our pages (consent proof).
    text_version: str | None = None
    # What the change rests on, in words: an SMS reply's revocation words ("OPT OUT").
    details: str | None = None


def audit_of(
    request: HTTPConnection,
    *,
    source: ChangeSource,
    actor: str,
    request_id: str | None,
    text_version: str | None = None,
) -> Audit:
    """An audit with the client's address and user agent, as the request gives them."""
    client = request.client
    return Audit(
        source=source,
        actor=actor,
        request_id=request_id,
        ip_address=client.host if client else None,
        user_agent=(request.headers.get("user-agent") or "")[:512] or None,
        text_version=text_version,
    )
