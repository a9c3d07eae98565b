"""Hard blocks of a channel for one customer (suppressions).

Operators set and lift them (``/admin/v1``); delivery sets them from bounces, complaints and STOP
replies. A blocked channel is denied whatever the customer or the studio chose. Erasure (reason
``ERASED``) also revokes the member's links for good.
"""

from __future__ import annotations

from datetime import datetime

from studio_comms.core.vocabulary import CommunicationChannel
from studio_comms.customers.service import require_customer, revoke_links
from studio_comms.db.tx import Tx
from studio_comms.preferences.errors import SuppressionNotFound
from studio_comms.preferences.repository import PreferencesRepository
from studio_comms.preferences.schemas import SuppressionRead, SuppressionReason
from studio_comms.preferences.service import preferences_updated


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
    """Whether the customer's data was erased (the member pages and links refuse them)."""
    blocks = PreferencesRepository(tx, studio_id).blocks(customer_id)
    return any(block.reason == SuppressionReason.ERASED.value for block in blocks)
