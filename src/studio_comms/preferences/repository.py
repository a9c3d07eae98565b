from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from studio_comms.core.audit import Audit
from studio_comms.core.vocabulary import CommunicationChannel, MessageCategory
from studio_comms.db.rawsql import RawConnection, Sql
from studio_comms.preferences.models import ConsentLedgerEntry, CustomerChannelChoice, Suppression
from studio_comms.preferences.rules import Block, Change, Choice, Offer, Slot, State
from studio_comms.studios.models import StudioChannelSetting

# Prebuilt: building a select() per call costs more than running it (docs/benchmarks.md).
_settings = StudioChannelSetting.__table__

_OFFERS = select(
    _settings.c.message_category,
    _settings.c.communication_channel,
    _settings.c.active,
    _settings.c.customer_overridable,
).where(_settings.c.studio_id == bindparam("studio_id"))

# One round trip for "does the customer exist, what is offered, what did the customer choose"
# (a customer without any offered channel still yields one row, of NULLs), then the blocks.
# Plain SQL: every preference read and write runs it (db.rawsql has the numbers).
_OFFERS_WITH_CHOICES = Sql(
    """
    SELECT s.message_category, s.communication_channel, s.active, s.customer_overridable,
           c.active, c.ledger_entry_id
    FROM customers cu
    LEFT JOIN studio_channel_settings s ON s.studio_id = cu.studio_id
    LEFT JOIN customer_channel_choices c
      ON c.studio_id = cu.studio_id AND c.customer_id = cu.customer_id
     AND c.message_category = s.message_category AND c.communication_channel = s.communication_channel
    WHERE cu.studio_id = :studio_id AND cu.customer_id = :customer_id
    """
)
_BLOCKS = Sql(
    """
    SELECT communication_channel, reason FROM suppressions
    WHERE studio_id = :studio_id AND customer_id = :customer_id
    """
)


def load_state(connection: RawConnection, studio_id: int, customer_id: int) -> State | None:
    """The customer's offers, choices (for offered channels) and blocks; ``None``: no customer."""
    params = {"studio_id": studio_id, "customer_id": customer_id}
    rows = connection.rows(_OFFERS_WITH_CHOICES, **params)
    if not rows:
        return None
    offers: dict[Slot, Offer] = {}
    choices: dict[Slot, Choice] = {}
    for category, channel, active, overridable, chosen, entry_id in rows:
        if category is None:
            continue  # the studio offers nothing at all
        slot = (MessageCategory(category), CommunicationChannel(channel))
        offers[slot] = Offer(bool(active), bool(overridable))
        if chosen is not None:
            choices[slot] = Choice(bool(chosen), entry_id)
    blocks = {
        CommunicationChannel(channel): Block(reason) for channel, reason in connection.rows(_BLOCKS, **params)
    }
    return State(offers=offers, choices=choices, blocks=blocks)


class PreferencesRepository:
    """Settings, choices, blocks and the ledger of one studio; every query filters by it."""

    def __init__(self, session: Session, studio_id: int) -> None:
        self.session = session
        self.studio_id = studio_id

    def offers(self) -> dict[Slot, Offer]:
        rows = self.session.execute(_OFFERS, {"studio_id": self.studio_id})
        return {
            (MessageCategory(cat), CommunicationChannel(ch)): Offer(bool(active), bool(overridable))
            for cat, ch, active, overridable in rows
        }

    def record(self, customer_id: int, change: Change, audit: Audit, *, now: datetime) -> int:
        """Append the ledger entry for ``change`` and make it the customer's choice; returns its id."""
        entry = ConsentLedgerEntry(
            studio_id=self.studio_id,
            customer_id=customer_id,
            message_category=change.category.value,
            communication_channel=change.channel.value,
            previous_active=change.previous_active,
            active=change.active,
            source=audit.source.value,
            actor=audit.actor,
            request_id=audit.request_id,
            ip_address=audit.ip_address,
            user_agent=audit.user_agent,
            text_version=audit.text_version,
            occurred_at=now,
        )
        self.session.add(entry)
        self.session.flush()
        key = (self.studio_id, customer_id, change.category.value, change.channel.value)
        choice = self.session.get(CustomerChannelChoice, key)
        if choice is None:
            choice = CustomerChannelChoice(
                studio_id=self.studio_id,
                customer_id=customer_id,
                message_category=change.category.value,
                communication_channel=change.channel.value,
            )
            self.session.add(choice)
        choice.active = change.active
        choice.ledger_entry_id = entry.id
        choice.updated_at = now
        return entry.id

    def history(
        self, customer_id: int, *, before_entry_id: int | None, limit: int
    ) -> list[ConsentLedgerEntry]:
        query = (
            select(ConsentLedgerEntry)
            .where(
                ConsentLedgerEntry.studio_id == self.studio_id,
                ConsentLedgerEntry.customer_id == customer_id,
            )
            .order_by(ConsentLedgerEntry.id.desc())
            .limit(limit)
        )
        if before_entry_id is not None:
            query = query.where(ConsentLedgerEntry.id < before_entry_id)
        return list(self.session.scalars(query))

    def set_block(
        self, customer_id: int, channel: CommunicationChannel, reason: str, *, now: datetime
    ) -> None:
        key = (self.studio_id, customer_id, channel.value)
        block = self.session.get(Suppression, key)
        if block is None:
            self.session.add(
                Suppression(
                    studio_id=self.studio_id,
                    customer_id=customer_id,
                    communication_channel=channel.value,
                    reason=reason,
                    created_at=now,
                )
            )
        else:
            block.reason = reason
        self.session.flush()

    def lift_block(self, customer_id: int, channel: CommunicationChannel) -> bool:
        block = self.session.get(Suppression, (self.studio_id, customer_id, channel.value))
        if block is None:
            return False
        self.session.delete(block)
        self.session.flush()
        return True
