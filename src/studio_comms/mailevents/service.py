"""A studio's relay (operator API), and its events once verified: each matched to the e-mail we
sent, acted on once, by the same rules as returned mail (``bounces``).

An event acts only when it is **attributed**: it names our Message-ID of this studio, the studio
handed that e-mail to the mail system, and the event's recipient is that message's member's
address. Anything else is recorded as seen (``UNATTRIBUTED``) and changes nothing.

- hard bounce (address-level and permanent, ``core.mailstatus``): EMAIL blocked ``BOUNCED`` for
  every customer of the studio with that address; the message moves to BOUNCED.
- soft bounce (full mailbox, deferral, the sender's own SPF/DKIM/DMARC): nothing for the member.
- complaint (spam report): marketing mail switched off and EMAIL blocked ``COMPLAINED``.
- delivered: the message moves to DELIVERED.
- unsubscribe (the provider's own unsubscribe link): marketing mail switched off.
"""

from __future__ import annotations

import json
from datetime import datetime

from studio_comms.core.audit import Audit, ChangeSource
from studio_comms.core.secrets import SecretBox
from studio_comms.core.vocabulary import CommunicationChannel, MessageCategory
from studio_comms.customers.service import customers_with_email
from studio_comms.db.tx import Tx
from studio_comms.mailevents import events, signatures
from studio_comms.mailevents.errors import (
    MailEventMalformed,
    MailEventSignatureInvalid,
    MailEventUnauthenticated,
    MailProviderKeyInvalid,
    MailProviderNotConfigured,
)
from studio_comms.mailevents.events import Event, Kind
from studio_comms.mailevents.repository import Credentials, EventRow, MailEventsRepository
from studio_comms.mailevents.schemas import (
    MailEventsResult,
    MailgunWrite,
    MailProvider,
    MailProviderRead,
    PostmarkWrite,
    SendgridWrite,
)
from studio_comms.messages.schemas import MessageStatus
from studio_comms.messages.service import record_provider_status, sent_email
from studio_comms.preferences.blocks import block_for_feedback
from studio_comms.preferences.schemas import SuppressionReason
from studio_comms.preferences.service import switch_off
from studio_comms.studios.service import require_studio

EMAIL = CommunicationChannel.EMAIL
MARKETING = ((MessageCategory.NEWSLETTER, EMAIL), (MessageCategory.LOYALTY_PROGRAM, EMAIL))
INT64_MAX = 2**63 - 1


def events_url(base_url: str, provider: str, studio_id: int) -> str:
    return f"{base_url}/mail-events/{provider.lower()}/{studio_id}"


def put_provider(
    tx: Tx,
    studio_id: int,
    data: PostmarkWrite | MailgunWrite | SendgridWrite,
    *,
    base_url: str,
    now: datetime,
) -> MailProviderRead:
    require_studio(tx, studio_id)
    if isinstance(data, PostmarkWrite):
        credentials = Credentials(MailProvider.POSTMARK.value, data.username, data.password)
    elif isinstance(data, MailgunWrite):
        credentials = Credentials(MailProvider.MAILGUN.value, None, data.signingKey)
    else:
        if signatures.sendgrid_key(data.verificationKey) is None:
            raise MailProviderKeyInvalid(reference="verificationKey")
        credentials = Credentials(MailProvider.SENDGRID.value, None, data.verificationKey)
    MailEventsRepository(tx, studio_id).put_credentials(credentials, now=now)
    return _to_wire(studio_id, credentials, base_url)


def get_provider(tx: Tx, studio_id: int, *, base_url: str) -> MailProviderRead:
    require_studio(tx, studio_id)
    credentials = MailEventsRepository(tx, studio_id).credentials()
    if credentials is None:
        raise MailProviderNotConfigured()
    return _to_wire(studio_id, credentials, base_url)


def delete_provider(tx: Tx, studio_id: int) -> None:
    require_studio(tx, studio_id)
    if not MailEventsRepository(tx, studio_id).delete_credentials():
        raise MailProviderNotConfigured()


def reseal(tx: Tx, studio_id: int, box: SecretBox) -> int:
    """The studio's stored secret sealed again with ``box``'s first key (``secrets rotate``)."""
    return MailEventsRepository(tx, studio_id).reseal(box)


def _to_wire(studio_id: int, credentials: Credentials, base_url: str) -> MailProviderRead:
    return MailProviderRead(
        provider=MailProvider(credentials.provider),
        username=credentials.username,
        eventsUrl=events_url(base_url, credentials.provider, studio_id),
    )


# --- the events -----------------------------------------------------------------------------------


def _credentials(tx: Tx, studio_id: int, provider: MailProvider) -> Credentials:
    require_studio(tx, studio_id)
    credentials = MailEventsRepository(tx, studio_id).credentials()
    if credentials is None or credentials.provider != provider.value:
        raise MailProviderNotConfigured()
    return credentials


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # also UnicodeDecodeError
        raise MailEventMalformed() from None


def receive(
    tx: Tx,
    studio_id: int,
    provider: MailProvider,
    body: bytes,
    headers: dict[str, str],
    *,
    now: datetime,
) -> MailEventsResult:
    """Verify the request as ``provider`` documents it, then act on each of its events once.
    Nothing is written before the proof is checked."""
    credentials = _credentials(tx, studio_id, provider)
    repository = MailEventsRepository(tx, studio_id)
    if provider is MailProvider.POSTMARK:
        if not signatures.basic_auth_valid(
            headers.get("authorization"), credentials.username or "", credentials.secret
        ):
            raise MailEventUnauthenticated()
        found = events.postmark(_json(body))
    elif provider is MailProvider.MAILGUN:
        parsed = _json(body)
        signed = events.mailgun_signature(parsed)
        if signed is None or not signatures.mailgun_valid(
            credentials.secret, signed.timestamp, signed.token, signed.signature
        ):
            raise MailEventSignatureInvalid()
        if not signatures.fresh(signed.timestamp, now):
            raise MailEventSignatureInvalid(reference="timestamp")
        # The signature covers no body: a token seen before is a replay, whatever the body says.
        token = EventRow("MAILGUN", f"token:{signed.token}", "TOKEN", None, None, "IGNORED")
        if not repository.first_time(token, now=now):
            raise MailEventSignatureInvalid(reference="token")
        found = events.mailgun(parsed)
    else:
        timestamp = headers.get("x-twilio-email-event-webhook-timestamp") or ""
        signature = headers.get("x-twilio-email-event-webhook-signature") or ""
        if not signatures.sendgrid_valid(credentials.secret, timestamp, body, signature):
            raise MailEventSignatureInvalid()
        if not signatures.fresh(timestamp, now):
            raise MailEventSignatureInvalid(reference="timestamp")
        found = events.sendgrid(_json(body))
    counts = {"ACTED": 0, "UNATTRIBUTED": 0, "IGNORED": 0, "DUPLICATE": 0}
    for event in found:
        counts[_act_once(tx, studio_id, provider, event, now=now)] += 1
    return MailEventsResult(
        received=len(found),
        acted=counts["ACTED"],
        duplicates=counts["DUPLICATE"],
        unattributed=counts["UNATTRIBUTED"],
        ignored=counts["IGNORED"],
    )


def _act_once(tx: Tx, studio_id: int, provider: MailProvider, event: Event, *, now: datetime) -> str:
    attributed = _attributed(tx, studio_id, event)
    outcome = "ACTED" if attributed is not None else "UNATTRIBUTED"
    if event.kind is Kind.OTHER:
        outcome = "IGNORED"
    row = EventRow(
        provider=provider.value,
        event_id=event.event_id[:255],
        kind=event.kind.value,
        reason=event.reason.value if event.reason else None,
        message_id=attributed[0] if attributed is not None else None,
        outcome=outcome,
    )
    if not MailEventsRepository(tx, studio_id).first_time(row, now=now):
        return "DUPLICATE"
    if outcome == "ACTED" and attributed is not None:
        _act(tx, studio_id, provider, event, attributed, now=now)
    return outcome


def _attributed(tx: Tx, studio_id: int, event: Event) -> tuple[int, str, str] | None:
    """(message number, Message-ID, member's address) when the event names an e-mail this studio
    sent and that e-mail's recipient; else None."""
    header = event.message_id_header
    if header is None or event.recipient is None:
        return None
    bare = header.strip().removeprefix("<").removesuffix(">")
    parts = bare.split("@", 1)[0].split(".")
    if (
        len(parts) != 3
        or parts[0] != "studio-comms"
        or not all(p.isascii() and p.isdigit() for p in parts[1:])
    ):
        return None
    if (
        len(parts[1]) > 19
        or len(parts[2]) > 19
        or int(parts[1]) != studio_id
        or not 1 <= int(parts[2]) <= INT64_MAX
    ):
        return None
    sent = sent_email(tx, studio_id, int(parts[2]))
    if sent is None or sent.message_id_header.lower() != f"<{bare}>".lower():
        return None
    member = (sent.address or "").strip().lower()
    if not member or event.recipient.strip().strip("<>").lower() != member:
        return None
    return sent.message_id, sent.message_id_header, member


def _act(
    tx: Tx,
    studio_id: int,
    provider: MailProvider,
    event: Event,
    found: tuple[int, str, str],
    *,
    now: datetime,
) -> None:
    _, header, address = found
    reason = event.reason.value if event.reason else None
    if event.kind is Kind.DELIVERED:
        record_provider_status(tx, studio_id, header, MessageStatus.DELIVERED, now=now)
        return
    if event.kind is Kind.SOFT_BOUNCE:
        return  # counted by sender health, never the member's block
    source = {Kind.HARD_BOUNCE: ChangeSource.BOUNCE, Kind.COMPLAINT: ChangeSource.COMPLAINT}.get(
        event.kind, ChangeSource.UNSUBSCRIBE_LINK
    )
    audit = Audit(
        source=source, actor=f"{provider.value.lower()}:{event.event_id}"[:200], request_id=header[:255]
    )
    for customer_id in customers_with_email(tx, studio_id, address):
        if event.kind is Kind.HARD_BOUNCE:
            block_for_feedback(
                tx, studio_id, customer_id, EMAIL, SuppressionReason.BOUNCED, audit=audit, now=now
            )
        elif event.kind is Kind.COMPLAINT:
            # The choices first: once EMAIL is blocked, no choice of it can be recorded.
            switch_off(tx, studio_id, customer_id, MARKETING, audit=audit, now=now)
            block_for_feedback(
                tx, studio_id, customer_id, EMAIL, SuppressionReason.COMPLAINED, audit=audit, now=now
            )
        else:
            switch_off(tx, studio_id, customer_id, MARKETING, audit=audit, now=now)
    if event.kind is Kind.HARD_BOUNCE:
        record_provider_status(tx, studio_id, header, MessageStatus.BOUNCED, reason=reason, now=now)
