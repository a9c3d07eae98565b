"""The studio's offer, the customers' choices, their blocks and the consent ledger."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from studio_comms.core.audit import Audit
from studio_comms.core.vocabulary import CATEGORY_OF, CHANNEL_OF, CommunicationChannel, MessageCategory
from studio_comms.db.scoped import StudioScoped
from studio_comms.db.sql import Sql
from studio_comms.db.tx import utc
from studio_comms.preferences.rules import Block, Change, Choice, Offer, Slot, State

# One round trip for everything a decision needs: "does the customer exist, what is offered, what
# did the customer choose" (kind 0; a customer without any offered channel still yields one row,
# of NULLs; no customer, no kind-0 row) and the customer's blocks (kind 1: reason, channel).
_STATE = Sql(
    """
    SELECT 0, s.message_category, s.communication_channel, s.active, s.customer_overridable,
           c.active, c.ledger_entry_id
    FROM customers cu
    LEFT JOIN studio_channel_settings s ON s.studio_id = cu.studio_id
    LEFT JOIN customer_channel_choices c
      ON c.studio_id = cu.studio_id AND c.customer_id = cu.customer_id
     AND c.message_category = s.message_category AND c.communication_channel = s.communication_channel
    WHERE cu.studio_id = :studio_id AND cu.customer_id = :customer_id
    UNION ALL
    SELECT 1, reason, communication_channel, NULL, NULL, NULL, NULL FROM suppressions
    WHERE studio_id = :studio_id AND customer_id = :customer_id
    """
)
_BLOCKS = Sql(
    """
    SELECT communication_channel, reason, created_at FROM suppressions
    WHERE studio_id = :studio_id AND customer_id = :customer_id
    ORDER BY communication_channel
    """
)
# One slot for every customer of the studio at once (bulk sending decides for up to 10,000).
_SLOT_OFFER = Sql(
    """
    SELECT active, customer_overridable FROM studio_channel_settings
    WHERE studio_id = :studio_id AND message_category = :category AND communication_channel = :channel
    """
)
_SLOT_CHOICES = Sql(
    """
    SELECT customer_id, active, ledger_entry_id FROM customer_channel_choices
    WHERE studio_id = :studio_id AND message_category = :category AND communication_channel = :channel
    """
)
# The channel's blocks, and erasures (an erased customer is blocked whatever the channel).
_SLOT_BLOCKS = Sql(
    """
    SELECT customer_id, reason FROM suppressions
    WHERE studio_id = :studio_id AND (communication_channel = :channel OR reason = 'ERASED')
    """
)
_OFFERS = Sql(
    """
    SELECT message_category, communication_channel, active, customer_overridable
    FROM studio_channel_settings WHERE studio_id = :studio_id
    """
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
       source, actor, request_id, ip_address, user_agent, text_version, occurred_at)
    VALUES (:studio_id, :customer_id, :category, :channel, :previous_active, :active,
       :source, :actor, :request_id, :ip_address, :user_agent, :text_version, :now)
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
_HISTORY = Sql(
    """
    SELECT id, message_category, communication_channel, previous_active, active, source, actor,
           request_id, occurred_at, ip_address, user_agent, text_version
    FROM consent_ledger
    WHERE studio_id = :studio_id AND customer_id = :customer_id AND id < :before
    ORDER BY id DESC LIMIT :limit
    """
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


@dataclass(frozen=True, slots=True)
class BlockRow:
    channel: CommunicationChannel
    reason: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SlotState:
    """One (category, channel) for every customer of the studio."""

    offer: Offer | None
    choices: dict[int, Choice]
    blocks: dict[int, Block]


class PreferencesRepository(StudioScoped):
    def slot(self, category: MessageCategory, channel: CommunicationChannel) -> SlotState:
        names = {"category": category.value, "channel": channel.value}
        offer_row = self._row(_SLOT_OFFER, **names)
        blocks: dict[int, Block] = {}
        for customer_id, reason in self._rows(_SLOT_BLOCKS, **names):
            # ERASED wins over the channel's own block reason.
            if customer_id not in blocks or reason == "ERASED":
                blocks[customer_id] = Block(reason)
        return SlotState(
            offer=Offer(bool(offer_row[0]), bool(offer_row[1])) if offer_row else None,
            choices={row[0]: Choice(bool(row[1]), row[2]) for row in self._rows(_SLOT_CHOICES, **names)},
            blocks=blocks,
        )

    def state(self, customer_id: int) -> State | None:
        """The customer's offers, choices (for offered channels) and blocks; ``None``: no customer."""
        offers: dict[Slot, Offer] = {}
        choices: dict[Slot, Choice] = {}
        blocks: dict[CommunicationChannel, Block] = {}
        exists = False
        for kind, text, channel, active, overridable, chosen, entry_id in self._rows(
            _STATE, customer_id=customer_id
        ):
            if kind == 1:
                blocks[CHANNEL_OF[channel]] = Block(text)
                continue
            exists = True
            if text is None:
                continue  # the studio offers nothing at all
            slot = (CATEGORY_OF[text], CHANNEL_OF[channel])
            offers[slot] = Offer(bool(active), bool(overridable))
            if chosen is not None:
                choices[slot] = Choice(bool(chosen), entry_id)
        return State(offers=offers, choices=choices, blocks=blocks) if exists else None

    def offers(self) -> dict[Slot, Offer]:
        return {
            (MessageCategory(category), CommunicationChannel(channel)): Offer(bool(active), bool(overridable))
            for category, channel, active, overridable in self._rows(_OFFERS)
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
            now=now,
        )
        return entry_id

    def history(self, customer_id: int, *, before: int, limit: int) -> list[LedgerEntry]:
        return [
            LedgerEntry(
                id=row[0],
                category=MessageCategory(row[1]),
                channel=CommunicationChannel(row[2]),
                previous_active=bool(row[3]),
                active=bool(row[4]),
                source=row[5],
                actor=row[6],
                request_id=row[7],
                occurred_at=utc(row[8]),
                ip_address=row[9],
                user_agent=row[10],
                text_version=row[11],
            )
            for row in self._rows(_HISTORY, customer_id=customer_id, before=before, limit=limit)
        ]

    def blocks(self, customer_id: int) -> list[BlockRow]:
        return [
            BlockRow(CommunicationChannel(channel), reason, utc(created_at))
            for channel, reason, created_at in self._rows(_BLOCKS, customer_id=customer_id)
        ]

    def set_block(
        self, customer_id: int, channel: CommunicationChannel, reason: str, *, now: datetime
    ) -> None:
        self._run(_SET_BLOCK, customer_id=customer_id, channel=channel.value, reason=reason, now=now)

    def lift_block(self, customer_id: int, channel: CommunicationChannel) -> bool:
        return self._run(_LIFT_BLOCK, customer_id=customer_id, channel=channel.value) > 0
