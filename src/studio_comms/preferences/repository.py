from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from studio_comms.core.audit import Audit
from studio_comms.core.vocabulary import CommunicationChannel, MessageCategory
from studio_comms.preferences.models import ConsentLedgerEntry, CustomerChannelChoice, Suppression
from studio_comms.preferences.rules import Block, Change, Choice, Offer, Slot, State
from studio_comms.studios.models import StudioChannelSetting


class PreferencesRepository:
    """Settings, choices, blocks and the ledger of one studio; every query filters by it."""

    def __init__(self, session: Session, studio_id: int) -> None:
        self.session = session
        self.studio_id = studio_id

    def offers(self) -> dict[Slot, Offer]:
        rows = self.session.execute(
            select(
                StudioChannelSetting.message_category,
                StudioChannelSetting.communication_channel,
                StudioChannelSetting.active,
                StudioChannelSetting.customer_overridable,
            ).where(StudioChannelSetting.studio_id == self.studio_id)
        )
        return {
            (MessageCategory(cat), CommunicationChannel(ch)): Offer(active, overridable)
            for cat, ch, active, overridable in rows
        }

    def state(self, customer_id: int) -> State:
        choices = self.session.execute(
            select(
                CustomerChannelChoice.message_category,
                CustomerChannelChoice.communication_channel,
                CustomerChannelChoice.active,
                CustomerChannelChoice.ledger_entry_id,
            ).where(
                CustomerChannelChoice.studio_id == self.studio_id,
                CustomerChannelChoice.customer_id == customer_id,
            )
        )
        blocks = self.session.execute(
            select(Suppression.communication_channel, Suppression.reason).where(
                Suppression.studio_id == self.studio_id, Suppression.customer_id == customer_id
            )
        )
        return State(
            offers=self.offers(),
            choices={
                (MessageCategory(cat), CommunicationChannel(ch)): Choice(active, entry_id)
                for cat, ch, active, entry_id in choices
            },
            blocks={CommunicationChannel(ch): Block(reason) for ch, reason in blocks},
        )

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
