"""Preference use cases. Callers commit; these only read, flush and raise domain errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from studio_comms.core.audit import Audit
from studio_comms.core.schemas import Slice
from studio_comms.core.slicing import make_slice, parse_offset
from studio_comms.core.vocabulary import CommunicationChannel, MessageCategory
from studio_comms.customers.errors import CustomerNotFound
from studio_comms.customers.repository import CustomersRepository
from studio_comms.db.rawsql import RawConnection, of_session
from studio_comms.outbox.service import EventType, enqueue
from studio_comms.preferences.models import ConsentLedgerEntry
from studio_comms.preferences.repository import PreferencesRepository, load_state
from studio_comms.preferences.rules import (
    Change,
    Choice,
    Decision,
    Offer,
    RequestedCategory,
    RequestedChannel,
    Slot,
    State,
    plan_changes,
)
from studio_comms.preferences.schemas import (
    CommunicationChannelWrapper,
    CommunicationPermission,
    CommunicationPreference,
    ConsentLedgerEntryRead,
)


def get_preferences(
    connection: RawConnection, studio_id: int, customer_id: int
) -> list[CommunicationPreference]:
    return _to_wire(_state(connection, studio_id, customer_id))


def _state(connection: RawConnection, studio_id: int, customer_id: int) -> State:
    state = load_state(connection, studio_id, customer_id)
    if state is None:
        raise CustomerNotFound(customerId=customer_id)
    return state


def update_preferences(
    session: Session,
    studio_id: int,
    customer_id: int,
    body: Sequence[CommunicationPreference],
    *,
    audit: Audit,
    now: datetime,
) -> tuple[list[CommunicationPreference], list[Change]]:
    """Merge ``body`` into the customer's choices; one ledger entry per effective change.

    An update that changes something also appends ``CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED``
    to the outbox, in the same transaction.

    The customer row is locked first, so concurrent updates of one customer run one after the
    other and every ledger entry's ``previousActive`` is the value the previous entry set.
    Returns the new effective state (what a following GET answers) and the changes applied.
    """
    CustomersRepository(session, studio_id).require(customer_id, lock=True)
    repository = PreferencesRepository(session, studio_id)
    state = _state(of_session(session), studio_id, customer_id)
    changes = plan_changes(state, [_requested(entry) for entry in body])
    recorded = {
        (change.category, change.channel): Choice(
            change.active, repository.record(customer_id, change, audit, now=now)
        )
        for change in changes
    }
    if changes:
        enqueue(
            session,
            studio_id=studio_id,
            now=now,
            entity_id=customer_id,
            event_type=EventType.CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED,
        )
    session.flush()
    return _to_wire(state.with_choices(recorded)), changes


def decide(
    session: Session,
    studio_id: int,
    customer_id: int,
    category: MessageCategory,
    channel: CommunicationChannel,
) -> Decision:
    """The one decision for (customer, category, channel); raises if the customer is unknown."""
    return _state(of_session(session), studio_id, customer_id).decide(category, channel)


def get_permission(
    connection: RawConnection,
    studio_id: int,
    customer_id: int,
    category: MessageCategory,
    channel: CommunicationChannel,
    *,
    now: datetime,
) -> CommunicationPermission:
    decision = _state(connection, studio_id, customer_id).decide(category, channel)
    return CommunicationPermission(
        permitted=decision.permitted,
        reason=decision.rule,
        messageCategory=category,
        communicationChannel=channel,
        ledgerEntryId=decision.ledger_entry_id,
        blockReason=decision.block_reason,
        decidedAt=now,
    )


def get_history(
    session: Session, studio_id: int, customer_id: int, *, offset: str | None, slice_size: int
) -> Slice[ConsentLedgerEntryRead]:
    CustomersRepository(session, studio_id).require(customer_id)
    rows = PreferencesRepository(session, studio_id).history(
        customer_id, before_entry_id=parse_offset(offset), limit=slice_size + 1
    )
    result, next_offset, has_next = make_slice(
        rows,
        slice_size=slice_size,
        previous_offset=offset,
        cursor=lambda row: row.id,
        convert=_entry_to_wire,
    )
    return Slice[ConsentLedgerEntryRead](result=result, offset=next_offset, hasNext=has_next)


def _requested(entry: CommunicationPreference) -> RequestedCategory:
    return RequestedCategory(
        category=entry.messageCategory,
        channels=[
            RequestedChannel(channel=wrapper.communicationChannel, active=wrapper.active)
            for wrapper in entry.channels or []
        ],
    )


def _to_wire(state: State) -> list[CommunicationPreference]:
    return [
        CommunicationPreference(
            messageCategory=category,
            channels=[
                CommunicationChannelWrapper(
                    communicationChannel=channel.channel,
                    customerOverridable=channel.customer_overridable,
                    active=channel.active,
                )
                for channel in channels
            ],
        )
        for category, channels in state.effective()
    ]


def offer_to_wire(offers: Mapping[Slot, Offer]) -> list[CommunicationPreference]:
    """A studio's offer in the compatible shape: the defaults a customer without choices gets."""
    return _to_wire(State(offers=offers, choices={}, blocks={}))


def _entry_to_wire(entry: ConsentLedgerEntry) -> ConsentLedgerEntryRead:
    return ConsentLedgerEntryRead(
        entryId=entry.id,
        messageCategory=MessageCategory(entry.message_category),
        communicationChannel=CommunicationChannel(entry.communication_channel),
        previousActive=entry.previous_active,
        active=entry.active,
        source=entry.source,
        actor=entry.actor,
        requestId=entry.request_id,
        occurredAt=entry.occurred_at,
        ipAddress=entry.ip_address,
        userAgent=entry.user_agent,
        textVersion=entry.text_version,
    )
