"""Soft bounces counted per member, and the studio's limit (issue 17: "N soft bounces within D days
suppress", listmonk's soft-bounce counting).

Both paths that learn of a failed delivery call :func:`count`: a returned message
(``bounces.service``, attributed to a message the studio sent and its recipient) and the receiving
server's answer at send time (``messages.sending.record_result``). Only the reasons of
``core.mailstatus.SOFT_BOUNCE`` count (full mailbox, expired, transient at the recipient): the
sender's own setup, a rate limit, the content, an auto-reply never touch the member.

Owned here, by ``messages``: it counts failures of messages this package sent, and both callers
already depend on it (``bounces`` imports ``messages``; the reverse would be a cycle).

One soft bounce per message and member (a DSN and the SMTP answer for the same message, or a report
posted twice, count once). When a member reaches the limit within the window, EMAIL is blocked with
``SOFT_BOUNCED`` through ``preferences.blocks`` (its ledger entries and outbox event), and the counted
bounces are consumed: after a lift (operator, or the member's opt-in) counting starts from zero.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from studio_comms.core.audit import Audit
from studio_comms.core.mailstatus import SOFT_BOUNCE, Reason
from studio_comms.core.vocabulary import CommunicationChannel
from studio_comms.db.tx import Tx
from studio_comms.messages.repository import BounceSettingsRow, SoftBouncesRepository
from studio_comms.messages.schemas import BounceSettings
from studio_comms.preferences.blocks import block_for_feedback
from studio_comms.preferences.schemas import SuppressionReason

DEFAULT = BounceSettings()


def counts(reason: Reason) -> bool:
    """Whether a failure for this reason is a soft bounce of the member's address."""
    return reason in SOFT_BOUNCE


def count(
    tx: Tx,
    studio_id: int,
    message_id: int,
    customer_ids: list[int],
    reason: Reason,
    *,
    audit: Audit,
    now: datetime,
) -> list[int]:
    """Count one soft bounce of ``message_id`` for each customer; returns those it suppressed."""
    if not counts(reason):
        return []
    repository = SoftBouncesRepository(tx, studio_id)
    limits = _limits(repository)
    since = now - timedelta(days=limits.softBounceDays)
    suppressed = []
    for customer_id in customer_ids:
        if not repository.add(customer_id, message_id, reason.value, now=now):
            continue
        if repository.count_since(customer_id, since) < limits.softBounceLimit:
            continue
        repository.consume(customer_id)
        block_for_feedback(
            tx,
            studio_id,
            customer_id,
            CommunicationChannel.EMAIL,
            SuppressionReason.SOFT_BOUNCED,
            audit=audit,
            now=now,
        )
        suppressed.append(customer_id)
    return suppressed


def get_settings(tx: Tx, studio_id: int) -> BounceSettings:
    return _limits(SoftBouncesRepository(tx, studio_id))


def put_settings(tx: Tx, studio_id: int, data: BounceSettings, *, now: datetime) -> BounceSettings:
    """Replace the studio's limit (absent fields: the defaults); applies to the next soft bounce."""
    SoftBouncesRepository(tx, studio_id).set_settings(
        BounceSettingsRow(data.softBounceLimit, data.softBounceDays), now=now
    )
    return get_settings(tx, studio_id)


def _limits(repository: SoftBouncesRepository) -> BounceSettings:
    row = repository.settings()
    if row is None:
        return DEFAULT
    return BounceSettings(softBounceLimit=row.soft_bounce_limit, softBounceDays=row.soft_bounce_days)
