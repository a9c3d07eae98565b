"""The studio's offer, the customers' choices, their blocks and the consent ledger."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from studio_comms.core import metrics
from studio_comms.core.audit import Audit
from studio_comms.core.vocabulary import CommunicationChannel, MessageCategory
from studio_comms.db.scoped import StudioScoped
from studio_comms.db.sql import Sql
from studio_comms.preferences.rules import ERASURE, Block, Change, Choice, Offer, Slot, State


@dataclass(slots=True)
class _StateRow:
    kind: int
    category: MessageCategory | None
    channel: CommunicationChannel | None
    offered_active: bool | None
    overridable: bool | None
    chosen_active: bool | None
    entry_id: int | None
    block_reason: str | None


# One round trip for everything a decision needs: "does the customer exist, what is offered, what
# did the customer choose" (kind 0; a customer without any offered channel still yields one row,
# of NULLs; no customer, no kind-0 row) and the customer's blocks (kind 1: channel, reason).
_STATE = Sql(
    """
    SELECT 0 AS kind, s.message_category AS category, s.communication_channel AS channel,
           s.active AS offered_active, s.customer_overridable AS overridable, c.active AS chosen_active,
           c.ledger_entry_id AS entry_id, NULL AS block_reason
    FROM customers cu
    LEFT JOIN studio_channel_settings s ON s.studio_id = cu.studio_id
    LEFT JOIN customer_channel_choices c
      ON c.studio_id = cu.studio_id AND c.customer_id = cu.customer_id
     AND c.message_category = s.message_category AND c.communication_channel = s.communication_channel
    WHERE cu.studio_id = :studio_id AND cu.customer_id = :customer_id
    UNION ALL
    SELECT 1, NULL, communication_channel, NULL, NULL, NULL, NULL, reason FROM suppressions
    WHERE studio_id = :studio_id AND customer_id = :customer_id
    """,
    row=_StateRow,
)


@dataclass(slots=True)
class BlockRow:
    channel: CommunicationChannel
    reason: str
    created_at: datetime


_BLOCKS = Sql(
    """
    SELECT communication_channel AS channel, reason, created_at FROM suppressions
    WHERE studio_id = :studio_id AND customer_id = :customer_id
    ORDER BY communication_channel
    """,
    row=BlockRow,
)


@dataclass(slots=True)
class _OfferRow:
    category: MessageCategory
    channel: CommunicationChannel
    active: bool
    customer_overridable: bool


# One slot for every customer of the studio at once (bulk sending decides for up to 10,000).
_SLOT_OFFER = Sql(
    """
    SELECT message_category AS category, communication_channel AS channel, active, customer_overridable
    FROM studio_channel_settings
    WHERE studio_id = :studio_id AND message_category = :category AND communication_channel = :channel
    """,
    row=_OfferRow,
)


@dataclass(slots=True)
class _ChoiceRow:
    customer_id: int
    active: bool
    ledger_entry_id: int


_SLOT_CHOICES = Sql(
    """
    SELECT customer_id, active, ledger_entry_id FROM customer_channel_choices
    WHERE studio_id = :studio_id AND message_category = :category AND communication_channel = :channel
    """,
    row=_ChoiceRow,
)


@dataclass(slots=True)
class _BlockedRow:
    customer_id: int
    channel: CommunicationChannel
    reason: str


# The blocks that can deny the channel: its own, and erasures (recorded on any channel). Which one
# applies is the decision's (rules.block_of).
_SLOT_BLOCKS = Sql(
    """
    SELECT customer_id, communication_channel AS channel, reason FROM suppressions
    WHERE studio_id = :studio_id AND (communication_channel = :channel OR reason = :erasure)
    """,
    row=_BlockedRow,
)
_OFFERS = Sql(
    """
    SELECT message_category AS category, communication_channel AS channel, active, customer_overridable
    FROM studio_channel_settings WHERE studio_id = :studio_id
    """,
    row=_OfferRow,
)
_DROP_OFFER = Sql("DELETE FROM studio_channel_settings WHERE studio_id = :studio_id")
_OFFER = Sql(
    """
    INSERT INTO studio_channel_settings
      (studio_id, message_category, communication_channel, active, customer_overridable)
    VALUES (:studio_id, :category, :channel, :active, :overridable)
    """
)
_LEDGER_ENTRY = Sql(
    """
    INSERT INTO consent_ledger
      (studio_id, customer_id, message_category, communication_channel, previous_active, active,
       source, actor, request_id, ip_address, user_agent, text_version, details, occurred_at)
    VALUES (:studio_id, :customer_id, :category, :channel, :previous_active, :active,
       :source, :actor, :request_id, :ip_address, :user_agent, :text_version, :details, :now)
    RETURNING id
    """
)
# The choice points at the ledger entry that set it: the proof behind a CUSTOMER_CHOICE decision.
_CHOICE = Sql(
    """
    INSERT INTO customer_channel_choices
      (studio_id, customer_id, message_category, communication_channel, active, ledger_entry_id, updated_at)
    VALUES (:studio_id, :customer_id, :category, :channel, :active, :entry_id, :now)
    ON CONFLICT (studio_id, customer_id, message_category, communication_channel)
    DO UPDATE SET active = excluded.active, ledger_entry_id = excluded.ledger_entry_id,
                  updated_at = excluded.updated_at
    """
)


@dataclass(slots=True)
class LedgerEntry:
    id: int
    category: MessageCategory
    channel: CommunicationChannel
    previous_active: bool
    active: bool
    source: str
    actor: str
    request_id: str | None
    occurred_at: datetime
    ip_address: str | None
    user_agent: str | None
    text_version: str | None
    details: str | None


_HISTORY = Sql(
    """
    SELECT id, message_category AS category, communication_channel AS channel, previous_active, active,
           source, actor, request_id, occurred_at, ip_address, user_agent, text_version, details
    FROM consent_ledger
    WHERE studio_id = :studio_id AND customer_id = :customer_id AND id < :before
    ORDER BY id DESC LIMIT :limit
    """,
    row=LedgerEntry,
)
_SET_BLOCK = Sql(
    """
    INSERT INTO suppressions (studio_id, customer_id, communication_channel, reason, created_at)
    VALUES (:studio_id, :customer_id, :channel, :reason, :now)
    ON CONFLICT (studio_id, customer_id, communication_channel) DO UPDATE SET reason = excluded.reason
    """
)
_LIFT_BLOCK = Sql(
    """
    DELETE FROM suppressions
    WHERE studio_id = :studio_id AND customer_id = :customer_id AND communication_channel = :channel
    """
)


@dataclass(frozen=True, slots=True)
class SlotState:
    """One (category, channel) for every customer of the studio."""

    offer: Offer | None
    choices: dict[int, Choice]
    # By customer: the blocks among theirs that can deny the slot's channel (see ``_SLOT_BLOCKS``).
    blocks: dict[int, dict[CommunicationChannel, Block]]


class PreferencesRepository(StudioScoped):
    def slot(self, category: MessageCategory, channel: CommunicationChannel) -> SlotState:
        names = {"category": category.value, "channel": channel.value}
        offer = self._row(_SLOT_OFFER, **names)
        blocks: dict[int, dict[CommunicationChannel, Block]] = {}
        for blocked in self._rows(_SLOT_BLOCKS, erasure=ERASURE, **names):
            blocks.setdefault(blocked.customer_id, {})[blocked.channel] = Block(blocked.reason)
        return SlotState(
            offer=Offer(offer.active, offer.customer_overridable) if offer else None,
            choices={
                row.customer_id: Choice(row.active, row.ledger_entry_id)
                for row in self._rows(_SLOT_CHOICES, **names)
            },
            blocks=blocks,
        )

    def state(self, customer_id: int) -> State | None:
        """The customer's offers, choices (for offered channels) and blocks; ``None``: no customer."""
        offers: dict[Slot, Offer] = {}
        choices: dict[Slot, Choice] = {}
        blocks: dict[CommunicationChannel, Block] = {}
        exists = False
        for row in self._rows(_STATE, customer_id=customer_id):
            # The columns a row's kind does not use are NULL.
            category, channel = row.category, row.channel
            if row.kind == 1:
                if channel is not None and row.block_reason is not None:
                    blocks[channel] = Block(row.block_reason)
                continue
            exists = True
            if category is None or channel is None:
                continue  # the studio offers nothing at all
            slot = (category, channel)
            offers[slot] = Offer(row.offered_active is True, row.overridable is True)
            if row.chosen_active is not None and row.entry_id is not None:
                choices[slot] = Choice(row.chosen_active, row.entry_id)
        return State(offers=offers, choices=choices, blocks=blocks) if exists else None

    def offers(self) -> dict[Slot, Offer]:
        return {
            (row.category, row.channel): Offer(row.active, row.customer_overridable)
            for row in self._rows(_OFFERS)
        }

    def replace_offers(self, offers: Iterable[tuple[Slot, Offer]]) -> None:
        self._run(_DROP_OFFER)
        for (category, channel), offer in offers:
            self._run(
                _OFFER,
                category=category.value,
                channel=channel.value,
                active=offer.active,
                overridable=offer.customer_overridable,
            )

    def record(self, customer_id: int, change: Change, audit: Audit, *, now: datetime) -> int:
        """Append the ledger entry for ``change`` and make it the customer's choice; returns its id."""
        entry_id = self.append(customer_id, change, audit, now=now)
        self._run(
            _CHOICE,
            customer_id=customer_id,
            category=change.category.value,
            channel=change.channel.value,
            active=change.active,
            entry_id=entry_id,
            now=now,
        )
        return entry_id

    def append(self, customer_id: int, change: Change, audit: Audit, *, now: datetime) -> int:
        """Only the ledger entry: a change made by a block, not by the customer's choice."""
        entry_id: int = self._scalar(
            _LEDGER_ENTRY,
            customer_id=customer_id,
            category=change.category.value,
            channel=change.channel.value,
            previous_active=change.previous_active,
            active=change.active,
            source=audit.source.value,
            actor=audit.actor,
            request_id=audit.request_id,
            ip_address=audit.ip_address,
            user_agent=audit.user_agent,
            text_version=audit.text_version,
            details=(audit.details or "")[:500] or None,
            now=now,
        )
        return entry_id

    def history(self, customer_id: int, *, before: int, limit: int) -> list[LedgerEntry]:
        return self._rows(_HISTORY, customer_id=customer_id, before=before, limit=limit)

    def blocks(self, customer_id: int) -> list[BlockRow]:
        return self._rows(_BLOCKS, customer_id=customer_id)

    def set_block(
        self, customer_id: int, channel: CommunicationChannel, reason: str, *, now: datetime
    ) -> None:
        self._run(_SET_BLOCK, customer_id=customer_id, channel=channel.value, reason=reason, now=now)
        metrics.count_suppression(reason)

    def lift_block(self, customer_id: int, channel: CommunicationChannel) -> bool:
        return self._run(_LIFT_BLOCK, customer_id=customer_id, channel=channel.value) > 0
