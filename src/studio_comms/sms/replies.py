"""Members' replies that revoke, and those an operator decides (``/admin/v1/studios/{id}/sms/replies``).

Every revocation by SMS takes the one path STOP always took: ``preferences.blocks.
block_for_feedback`` blocks TEXT_MESSAGE with reason ``SMS_STOP`` (a START lifts it again) and
writes one consent ledger entry per category it switches off, whose ``details`` name the words
the revocation rests on. A reply that only names such a word ("I'll stop by tomorrow") is held
PENDING here; an operator applies it (the same path, the member's text in the ledger entry) or
dismisses it. A decision is made once: repeating it answers the reply as decided and writes
nothing; the other decision on a decided reply is refused (409 ``SMS_REPLY_DECIDED``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from studio_comms.core.audit import Audit
from studio_comms.core.schemas import Slice
from studio_comms.core.slicing import slice_of
from studio_comms.core.vocabulary import CommunicationChannel
from studio_comms.db.tx import Tx
from studio_comms.preferences.blocks import block_for_feedback
from studio_comms.preferences.rules import Change
from studio_comms.preferences.schemas import SuppressionReason
from studio_comms.sms.errors import SmsReplyDecided, SmsReplyNotFound
from studio_comms.sms.repository import ReplyRow, SmsRepliesRepository
from studio_comms.sms.schemas import SmsReplyRead, SmsReplyState

CHANNEL = CommunicationChannel.TEXT_MESSAGE
# How much of a member's text an operator-applied entry quotes (the ledger's details hold 500).
QUOTED = 300
MAX_DETAILS = 500


def revoke(
    tx: Tx, studio_id: int, customer_id: int, details: str, *, audit: Audit, now: datetime
) -> list[Change]:
    """Block TEXT_MESSAGE as a STOP does, the ledger entries naming ``details``."""
    audit = replace(audit, details=details[:MAX_DETAILS])
    return block_for_feedback(
        tx, studio_id, customer_id, CHANNEL, SuppressionReason.SMS_STOP, audit=audit, now=now
    )


def hold(
    tx: Tx,
    studio_id: int,
    message_id: str,
    sender: str,
    customer_ids: list[int],
    body: str,
    words: str,
    *,
    now: datetime,
) -> None:
    """List a reply for an operator (PENDING)."""
    SmsRepliesRepository(tx, studio_id).add(message_id, sender, customer_ids, body, words, now=now)


def list_replies(
    tx: Tx, studio_id: int, state: SmsReplyState, *, offset: str | None, slice_size: int
) -> Slice[SmsReplyRead]:
    repository = SmsRepliesRepository(tx, studio_id)
    return slice_of(
        SmsReplyRead,
        offset,
        slice_size,
        lambda before, limit: repository.page(state.value, before=before, limit=limit),
        _to_wire,
    )


def apply_reply(tx: Tx, studio_id: int, reply_id: int, *, audit: Audit, now: datetime) -> SmsReplyRead:
    """Revoke for every customer the reply came from, as if the member had written STOP; the
    ledger entries are the operator's (``audit``) and quote the member's text."""
    reply, decided = _decide(tx, studio_id, reply_id, SmsReplyState.APPLIED, actor=audit.actor, now=now)
    if not decided:
        return _to_wire(reply)  # applied before: nothing again
    quoted = reply.body if len(reply.body) <= QUOTED else reply.body[: QUOTED - 1] + "…"
    details = f'SMS reply "{quoted}" (reply {reply.id}, applied by an operator)'
    for customer_id in reply.customer_ids:
        revoke(tx, studio_id, customer_id, details, audit=audit, now=now)
    return _to_wire(reply)


def dismiss_reply(tx: Tx, studio_id: int, reply_id: int, *, actor: str, now: datetime) -> SmsReplyRead:
    """Leave the member's consent as it is."""
    reply, _ = _decide(tx, studio_id, reply_id, SmsReplyState.DISMISSED, actor=actor, now=now)
    return _to_wire(reply)


def _decide(
    tx: Tx, studio_id: int, reply_id: int, state: SmsReplyState, *, actor: str, now: datetime
) -> tuple[ReplyRow, bool]:
    """The reply once decided, and whether this call decided it."""
    repository = SmsRepliesRepository(tx, studio_id)
    decided = repository.decide(reply_id, state.value, actor, now=now)
    reply = repository.get(reply_id)
    if reply is None:
        raise SmsReplyNotFound(replyId=reply_id)
    if not decided and reply.state != state.value:
        raise SmsReplyDecided(replyId=reply_id, state=reply.state)
    return reply, decided


def _to_wire(reply: ReplyRow) -> SmsReplyRead:
    return SmsReplyRead(
        replyId=reply.id,
        sender=reply.sender,
        customerIds=reply.customer_ids,
        body=reply.body,
        words=reply.words,
        state=SmsReplyState(reply.state),
        receivedAt=reply.received_at,
        decidedAt=reply.decided_at,
        decidedBy=reply.decided_by,
    )
