"""Hard blocks of a channel for one customer (suppressions).

Operators set and lift them (``/admin/v1``); delivery sets them from bounces, complaints and STOP
replies. A blocked channel is denied whatever the customer or the studio chose. Erasure (reason
``ERASED``) also revokes the member's links for good.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from studio_comms.core.audit import Audit
from studio_comms.core.vocabulary import CATEGORY_ORDER, CommunicationChannel
from studio_comms.customers.service import require_customer, revoke_links
from studio_comms.db.tx import Tx
from studio_comms.preferences.errors import SuppressionNotFound
from studio_comms.preferences.repository import PreferencesRepository
from studio_comms.preferences.rules import MEMBER_LIFTABLE, Block, Change, State, erasure_of
from studio_comms.preferences.schemas import SuppressionRead, SuppressionReason
from studio_comms.preferences.service import member_state, preferences_updated


def set_suppression(
    tx: Tx,
    studio_id: int,
    customer_id: int,
    channel: CommunicationChannel,
    reason: SuppressionReason,
    *,
    now: datetime,
) -> list[SuppressionRead]:
    require_customer(tx, studio_id, customer_id, lock=True)
    PreferencesRepository(tx, studio_id).set_block(customer_id, channel, reason.value, now=now)
    if reason is SuppressionReason.ERASED:
        # An erased member's preference and unsubscribe links stop working, and stay dead even
        # if the block is lifted later: new links must be issued.
        revoke_links(tx, studio_id, customer_id)
    preferences_updated(tx, studio_id, customer_id, now=now)
    return list_suppressions(tx, studio_id, customer_id)


def lift_suppression(
    tx: Tx, studio_id: int, customer_id: int, channel: CommunicationChannel, *, now: datetime
) -> None:
    require_customer(tx, studio_id, customer_id, lock=True)
    if not PreferencesRepository(tx, studio_id).lift_block(customer_id, channel):
        raise SuppressionNotFound(channel=channel.value)
    preferences_updated(tx, studio_id, customer_id, now=now)


def list_suppressions(tx: Tx, studio_id: int, customer_id: int) -> list[SuppressionRead]:
    require_customer(tx, studio_id, customer_id)
    return [
        SuppressionRead(
            communicationChannel=block.channel,
            reason=SuppressionReason(block.reason),
            createdAt=block.created_at,
        )
        for block in PreferencesRepository(tx, studio_id).blocks(customer_id)
    ]


def is_erased(tx: Tx, studio_id: int, customer_id: int) -> bool:
    """Whether the customer's data was erased (the member pages and links refuse them), as the
    one decision sees it (``rules.erasure_of``)."""
    blocks = PreferencesRepository(tx, studio_id).blocks(customer_id)
    return erasure_of({block.channel: Block(block.reason) for block in blocks}) is not None


# --- blocks from what comes back from a send (SMS STOP/START, bounces, complaints) ---------------


def block_for_feedback(
    tx: Tx,
    studio_id: int,
    customer_id: int,
    channel: CommunicationChannel,
    reason: SuppressionReason,
    *,
    audit: Audit,
    now: datetime,
) -> list[Change]:
    """Block ``channel``, with one ledger entry per offered category it switches off.

    A channel blocked already keeps its block and reason: a STOP must not turn an erasure into
    something a START could lift; only a soft-bounce pause gives way to a stronger reason. Returns
    the effective changes (none: no ledger entry was written).
    """
    require_customer(tx, studio_id, customer_id, lock=True)
    repository = PreferencesRepository(tx, studio_id)
    before = member_state(tx, studio_id, customer_id)
    held = before.blocks.get(channel)
    if held is not None:
        if held.reason in MEMBER_LIFTABLE and reason.value not in MEMBER_LIFTABLE:
            # A dead address or a complaint outranks a soft-bounce pause: the member's opt-in must
            # not lift it. Still blocked: no ledger entry, but GET's customerOverridable changes.
            repository.set_block(customer_id, channel, reason.value, now=now)
            preferences_updated(tx, studio_id, customer_id, now=now)
        return []
    repository.set_block(customer_id, channel, reason.value, now=now)
    after = replace(before, blocks={**before.blocks, channel: Block(reason.value)})
    return _record_effect(tx, studio_id, customer_id, before, after, channel, audit=audit, now=now)


def lift_for_feedback(
    tx: Tx,
    studio_id: int,
    customer_id: int,
    channel: CommunicationChannel,
    reason: SuppressionReason,
    *,
    audit: Audit,
    now: datetime,
) -> list[Change] | None:
    """Lift the block of ``channel`` only if ``reason`` set it (a START lifts a STOP, never an
    operator's block or an erasure); ledger entries as for the block. ``None``: nothing to lift."""
    require_customer(tx, studio_id, customer_id, lock=True)
    before = member_state(tx, studio_id, customer_id)
    block = before.blocks.get(channel)
    if block is None or block.reason != reason.value:
        return None
    PreferencesRepository(tx, studio_id).lift_block(customer_id, channel)
    after = replace(before, blocks={c: b for c, b in before.blocks.items() if c != channel})
    return _record_effect(tx, studio_id, customer_id, before, after, channel, audit=audit, now=now)


def _record_effect(
    tx: Tx,
    studio_id: int,
    customer_id: int,
    before: State,
    after: State,
    channel: CommunicationChannel,
    *,
    audit: Audit,
    now: datetime,
) -> list[Change]:
    repository = PreferencesRepository(tx, studio_id)
    changes = []
    for category, offered in sorted(before.offers, key=lambda slot: CATEGORY_ORDER[slot[0]]):
        if offered != channel:
            continue
        was, becomes = before.decide(category, channel).permitted, after.decide(category, channel).permitted
        if was != becomes:
            change = Change(category, channel, was, becomes)
            repository.append(customer_id, change, audit, now=now)
            changes.append(change)
    # The block itself changed what GET answers (customerOverridable), whatever the ledger says.
    preferences_updated(tx, studio_id, customer_id, now=now)
    return changes
