"""Bounces and complaints as suppressions, each effective change with a consent ledger entry.

A report acts only when it is **attributed**: the returned message's Message-ID is one we gave
(``<studio-comms.{studioId}.{messageId}@…>``), that studio handed an e-mail with that number and
that Message-ID to the mail system, and the report's recipient is that message's member's address
(compared without case, ``Original-Recipient`` counting for a forwarded address). Anything else —
a forged report for a message that does not exist, another sender's bounce, a complaint whose
recipient is redacted — is recorded as unattributed (``unattributed_feedback``, listed by
``GET /admin/v1/mail-feedback/unattributed``) and changes nothing: whoever can send mail to the
bounce address can then switch nobody's e-mail off by knowing an address.

- A hard bounce — permanent *and* address-level (user or host unknown, mailbox disabled; judged by
  ``core.mailstatus`` from status codes and words, for DSNs and text bounces alike) — blocks EMAIL with
  ``BOUNCED`` for every customer of the studio with that address: the address is dead, whoever it
  belongs to. A rate limit, a spam verdict, a delay warning, the sender's own SPF/DKIM/DMARC/PTR
  failing change nothing for the member (``SOFT_BOUNCE`` with the reason); a failed delivery for a
  full mailbox, an expiry or a transient failure is counted (``messages.soft_bounces``: the studio's
  limit reached blocks EMAIL with ``SOFT_BOUNCED``).
- A complaint (ARF ``abuse``) switches the member's marketing mail off (NEWSLETTER and
  LOYALTY_PROGRAM, as the member's choice) and blocks EMAIL with ``COMPLAINED``. An operator who
  lifts the block after talking to the member (contract mail must reach them) leaves marketing
  off until the member turns it on again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from studio_comms.bounces import mime, repository
from studio_comms.bounces.arf import FeedbackReport
from studio_comms.bounces.dsn import DeliveryReport, NotAReport, RecipientStatus
from studio_comms.bounces.errors import MailFeedbackMalformed
from studio_comms.bounces.reading import Shape, read
from studio_comms.bounces.repository import UnattributedRow
from studio_comms.bounces.schemas import (
    FeedbackKind,
    FeedbackRecipient,
    MailFeedbackResult,
    Unattributed,
    UnattributedFeedbackList,
    UnattributedFeedbackRead,
    Why,
)
from studio_comms.core.audit import Audit, ChangeSource
from studio_comms.core.mailstatus import Reason
from studio_comms.core.vocabulary import CommunicationChannel, MessageCategory
from studio_comms.customers.service import customers_with_email
from studio_comms.db.tx import Tx
from studio_comms.links.tokens import LinkSigner
from studio_comms.messages import soft_bounces
from studio_comms.messages.schemas import MessageStatus
from studio_comms.messages.service import SentEmail, record_provider_status, sent_email
from studio_comms.preferences.blocks import block_for_feedback
from studio_comms.preferences.schemas import SuppressionReason
from studio_comms.preferences.service import switch_off

EMAIL = CommunicationChannel.EMAIL
MARKETING = ((MessageCategory.NEWSLETTER, EMAIL), (MessageCategory.LOYALTY_PROGRAM, EMAIL))
INT64_MAX = 2**63 - 1


@dataclass(frozen=True, slots=True)
class ReturnPaths:
    """Signed VERP: the signer of the tags, and whether a bounce must come back to a signed address
    (``Settings.bounce_address`` set: every e-mail went out with one)."""

    signer: LinkSigner
    required: bool


def ingest(
    tx: Tx, raw: bytes, *, studio_id: int | None, now: datetime, return_paths: ReturnPaths | None = None
) -> MailFeedbackResult:
    """Read ``raw`` (the whole message as the MTA received it) and act on it if it is attributed."""
    if not raw.strip():
        raise MailFeedbackMalformed()
    try:
        reading = read(raw)
    except (NotAReport, mime.Unreadable):
        raise MailFeedbackMalformed() from None
    if reading.delivery is not None:
        signed = _signed(reading.sent_to, return_paths)
        return _bounced(tx, reading.delivery, studio_id, signed, now=now)
    if reading.feedback is not None:
        return _complained(tx, reading.feedback, studio_id, now=now)
    # An auto-reply (out of office) or any other mail: nothing to do.
    return MailFeedbackResult(
        kind=FeedbackKind.AUTO_REPLY if reading.shape is Shape.AUTO_REPLY else FeedbackKind.NOT_A_REPORT
    )


def unattributed(tx: Tx, *, before: int | None, limit: int) -> UnattributedFeedbackList:
    """The reports that acted on nothing, newest first."""
    rows = repository.newest(tx, before=before or INT64_MAX, limit=limit)
    return UnattributedFeedbackList(
        result=[
            UnattributedFeedbackRead(
                id=row.id,
                receivedAt=row.received_at,
                kind=FeedbackKind(row.kind),
                why=Why(row.why),
                claimedStudioId=row.claimed_studio_id,
                claimedMessageId=row.claimed_message_id,
                originalMessageId=row.original_message_id,
                reporter=row.reporter,
                addresses=row.addresses.splitlines(),
            )
            for row in rows
        ]
    )


@dataclass(frozen=True, slots=True)
class _Claim:
    """What a report says it is about, before anything is believed."""

    kind: FeedbackKind
    named_studio: int | None
    original_message_id: str | None
    reporter: str | None
    addresses: list[str]


def _normalised(address: str) -> str:
    return address.strip().strip("<>").lower()


_VERP = re.compile(r"\+([0-9]{1,19})\.([0-9]{1,19})\.([a-z2-7]{16})@", re.IGNORECASE)


def _signed(sent_to: tuple[str, ...], return_paths: ReturnPaths | None) -> tuple[int, int] | Why | None:
    """(messageId, studioId) of a correctly signed return path the report was sent to; NOT_SIGNED
    when one is required and none is; None when none is required and none is there."""
    if return_paths is None:
        return None
    for address in sent_to:
        for studio, message, tag in _VERP.findall(address):
            studio_id, message_id = int(studio), int(message)
            in_range = studio_id <= INT64_MAX and message_id <= INT64_MAX
            if in_range and return_paths.signer.return_path_tag_valid(studio_id, message_id, tag):
                return message_id, studio_id
    return Why.NOT_SIGNED if return_paths.required else None


def _message(
    tx: Tx, claim: _Claim, signed: tuple[int, int] | Why | None = None
) -> tuple[int, SentEmail] | Why:
    """The studio and e-mail the report names, or why there is none to believe. A signed return
    path names it beyond doubt (the report's Message-ID, if it quotes one, must agree); without
    one, the Message-ID must be ours and match the e-mail the studio sent."""
    if isinstance(signed, Why):
        return signed
    ours = mime.our_message(claim.original_message_id)
    if signed is not None:
        if claim.original_message_id is not None and ours != signed:
            return Why.NO_SUCH_MESSAGE
        ours = signed
    elif claim.original_message_id is None:
        return Why.NO_MESSAGE_ID
    if ours is None:
        return Why.NOT_OURS
    message_id, studio_id = ours
    if claim.named_studio is not None and claim.named_studio != studio_id:
        return Why.STUDIO_MISMATCH
    sent = sent_email(tx, studio_id, message_id)
    if sent is None:
        return Why.NO_SUCH_MESSAGE
    quoted = claim.original_message_id
    if quoted is not None and sent.message_id_header.lower() != _bracketed(quoted).lower():
        return Why.NO_SUCH_MESSAGE
    return studio_id, sent


def _record(tx: Tx, claim: _Claim, why: Why, *, now: datetime) -> MailFeedbackResult:
    ours = mime.our_message(claim.original_message_id)
    row_id = repository.add(
        tx,
        UnattributedRow(
            id=0,
            received_at=now,
            kind=claim.kind.value,
            why=why.value,
            claimed_studio_id=ours[1] if ours is not None else claim.named_studio,
            claimed_message_id=ours[0] if ours is not None else None,
            original_message_id=(claim.original_message_id or "")[:255] or None,
            reporter=(claim.reporter or "")[:255] or None,
            addresses="\n".join(address[:320] for address in claim.addresses[:20]),
        ),
    )
    return MailFeedbackResult(
        kind=claim.kind,
        originalMessageId=claim.original_message_id,
        recipients=[
            FeedbackRecipient(address=address, customerIds=[], suppressed=False)
            for address in claim.addresses
        ],
        unattributed=Unattributed(id=row_id, why=why),
    )


def _bounced(
    tx: Tx, report: DeliveryReport, named: int | None, signed: tuple[int, int] | Why | None, *, now: datetime
) -> MailFeedbackResult:
    hard = any(recipient.hard for recipient in report.recipients)
    claim = _Claim(
        kind=FeedbackKind.HARD_BOUNCE if hard else FeedbackKind.SOFT_BOUNCE,
        named_studio=named,
        original_message_id=report.original_message_id,
        reporter=report.reporting_mta,
        addresses=[recipient.address for recipient in report.recipients],
    )
    found = _message(tx, claim, signed)
    if isinstance(found, Why):
        return _record(tx, claim, found, now=now)
    studio_id, sent = found
    member = _normalised(sent.address or "")
    theirs = [r for r in report.recipients if member and member in {_normalised(a) for a in r.addresses}]
    if not theirs:
        return _record(tx, claim, Why.NOT_THE_RECIPIENT, now=now)
    audit = Audit(
        source=ChangeSource.BOUNCE,
        actor=f"dsn:{report.reporting_mta or 'unknown'}"[:200],
        request_id=(report.original_message_id or "")[:255] or None,
    )
    recipients = []
    for recipient in report.recipients:
        if recipient not in theirs:
            # Another recipient of the same report is not whom this message went to.
            recipients.append(
                FeedbackRecipient(
                    address=recipient.address,
                    status=recipient.status,
                    reason=recipient.verdict.reason,
                    customerIds=[],
                    suppressed=False,
                )
            )
            continue
        customer_ids = customers_with_email(tx, studio_id, sent.address or "")
        verdict = recipient.verdict
        soft_suppressed: list[int] = []
        if verdict.hard:
            for customer_id in customer_ids:
                block_for_feedback(
                    tx, studio_id, customer_id, EMAIL, SuppressionReason.BOUNCED, audit=audit, now=now
                )
        elif _failed(recipient):
            # A soft failure (full mailbox, expired, transient at the recipient) counts; the limit
            # of the studio reached suppresses with SOFT_BOUNCED. A delay warning is no failure.
            soft_suppressed = soft_bounces.count(
                tx, studio_id, sent.message_id, customer_ids, verdict.reason, audit=audit, now=now
            )
        recipients.append(
            FeedbackRecipient(
                address=recipient.address,
                status=recipient.status,
                customerIds=customer_ids,
                reason=verdict.reason,
                suppressed=(verdict.hard and bool(customer_ids)) or bool(soft_suppressed),
            )
        )
    hard = any(recipient.hard for recipient in theirs)
    if hard:
        # The message itself moves to BOUNCED (its history, its MESSAGE_STATUS_CHANGED event).
        reasons = ", ".join(sorted({r.verdict.reason.value for r in theirs if r.hard}))
        record_provider_status(
            tx, studio_id, sent.message_id_header, MessageStatus.BOUNCED, reason=reasons, now=now
        )
    return MailFeedbackResult(
        kind=FeedbackKind.HARD_BOUNCE if hard else FeedbackKind.SOFT_BOUNCE,
        studioId=studio_id,
        messageId=sent.message_id,
        originalMessageId=report.original_message_id,
        recipients=recipients,
    )


def _complained(tx: Tx, report: FeedbackReport, named: int | None, *, now: datetime) -> MailFeedbackResult:
    claim = _Claim(
        kind=FeedbackKind.COMPLAINT if report.complaint else FeedbackKind.OTHER_FEEDBACK,
        named_studio=named,
        original_message_id=report.original_message_id,
        reporter=report.reporter,
        addresses=[report.recipient] if report.recipient is not None else [],
    )
    found = _message(tx, claim)
    if isinstance(found, Why):
        return _record(tx, claim, found, now=now)
    studio_id, sent = found
    if report.recipient is None:
        return _record(tx, claim, Why.NO_RECIPIENT, now=now)
    if not sent.address or _normalised(report.recipient) != _normalised(sent.address):
        return _record(tx, claim, Why.NOT_THE_RECIPIENT, now=now)
    customer_ids = customers_with_email(tx, studio_id, sent.address)
    if report.complaint:
        audit = Audit(
            source=ChangeSource.COMPLAINT,
            actor=f"arf:{report.reporter or 'unknown'}"[:200],
            request_id=(report.original_message_id or "")[:255] or None,
        )
        for customer_id in customer_ids:
            # The choices first: once EMAIL is blocked, no choice of it can be recorded.
            switch_off(tx, studio_id, customer_id, MARKETING, audit=audit, now=now)
            block_for_feedback(
                tx, studio_id, customer_id, EMAIL, SuppressionReason.COMPLAINED, audit=audit, now=now
            )
    return MailFeedbackResult(
        kind=claim.kind,
        studioId=studio_id,
        messageId=sent.message_id,
        originalMessageId=report.original_message_id,
        recipients=[
            FeedbackRecipient(
                address=report.recipient,
                customerIds=customer_ids,
                suppressed=report.complaint and bool(customer_ids),
            )
        ],
    )


def _failed(recipient: RecipientStatus) -> bool:
    """The delivery failed (``Action: failed``), not merely delayed; a text notice without codes
    whose words say it will be retried is a warning too."""
    if recipient.action.lower() != "failed":
        return False
    verdict = recipient.verdict
    return not (recipient.text_bounce and verdict.status is None and verdict.reason is Reason.TRANSIENT)


def _bracketed(message_id: str) -> str:
    """The Message-ID as we sent it (``<…>``): reports quote it with or without the brackets."""
    bare = message_id.strip().removeprefix("<").removesuffix(">")
    return f"<{bare}>"
