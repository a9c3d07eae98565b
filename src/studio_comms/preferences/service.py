"""Preference use cases. Callers commit; these only read, write and raise domain errors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import orjson

from studio_comms.core.audit import Audit
from studio_comms.core.schemas import Slice
from studio_comms.core.slicing import slice_of
from studio_comms.core.vocabulary import (
    CATEGORY_ORDER,
    CHANNEL_ORDER,
    CommunicationChannel,
    MessageCategory,
)
from studio_comms.customers.errors import CustomerNotFound
from studio_comms.customers.service import lock_customer, require_customer
from studio_comms.db.tx import Tx
from studio_comms.outbox.service import EventType, enqueue
from studio_comms.preferences.repository import LedgerEntry, PreferencesRepository
from studio_comms.preferences.rules import (
    Block,
    Change,
    Choice,
    Decision,
    RequestedCategory,
    RequestedChannel,
    State,
    block_of,
    lifted_by,
    plan_changes,
)
from studio_comms.preferences.rules import decide as decide_slot
from studio_comms.preferences.schemas import (
    CommunicationChannelWrapper,
    CommunicationPermission,
    CommunicationPreference,
    ConsentLedgerEntryRead,
)


def member_state(tx: Tx, studio_id: int, customer_id: int) -> State:
    """Everything a decision about the customer needs; raises if the customer is unknown."""
    state = PreferencesRepository(tx, studio_id).state(customer_id)
    if state is None:
        raise CustomerNotFound(customerId=customer_id)
    return state


def get_preferences(tx: Tx, studio_id: int, customer_id: int) -> bytes:
    """The GET answer as JSON, ready to send (see :func:`wire_json`)."""
    return wire_json(member_state(tx, studio_id, customer_id))


def update_preferences(
    tx: Tx,
    studio_id: int,
    customer_id: int,
    body: Sequence[CommunicationPreference],
    *,
    audit: Audit,
    now: datetime,
) -> tuple[State, list[Change]]:
    """Merge ``body`` into the customer's choices; one ledger entry per effective change.

    An update that changes something also appends ``CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED``
    to the outbox, in the same transaction.

    The customer row is locked first, so concurrent updates of one customer run one after the
    other and every ledger entry's ``previousActive`` is the value the previous entry set.
    Returns the new effective state (what a following GET answers) and the changes applied.
    """
    lock_customer(tx, studio_id, customer_id)
    repository = PreferencesRepository(tx, studio_id)
    state = member_state(tx, studio_id, customer_id)  # raises when there is no such customer
    changes = plan_changes(state, [_requested(entry) for entry in body])
    recorded = {
        (change.category, change.channel): Choice(
            change.active, repository.record(customer_id, change, audit, now=now)
        )
        for change in changes
    }
    after = state.with_choices(recorded)
    lifted = lifted_by(state, changes)
    if lifted:
        # The member's opt-in lifts a soft-bounce pause of that channel (never another block); the
        # other slots of the channel it switches back on get their ledger entries too.
        after = State(
            offers=after.offers,
            choices=after.choices,
            blocks={channel: block for channel, block in after.blocks.items() if channel not in lifted},
        )
        chosen = set(recorded)
        for channel in sorted(lifted, key=CHANNEL_ORDER.__getitem__):
            repository.lift_block(customer_id, channel)
            for category, offered in sorted(state.offers, key=lambda slot: CATEGORY_ORDER[slot[0]]):
                if offered != channel or (category, channel) in chosen:
                    continue
                was = state.decide(category, channel).permitted
                becomes = after.decide(category, channel).permitted
                if was != becomes:
                    repository.append(customer_id, Change(category, channel, was, becomes), audit, now=now)
    if changes:
        preferences_updated(tx, studio_id, customer_id, now=now)
    return after, changes


def switch_off(
    tx: Tx,
    studio_id: int,
    customer_id: int,
    slots: Sequence[tuple[MessageCategory, CommunicationChannel]],
    *,
    audit: Audit,
    now: datetime,
) -> list[Change]:
    """Record the customer's choice "off" for each slot that is on and the customer may switch
    (a spam complaint is the member's "no" to marketing mail). Slots not offered, fixed by the
    studio or blocked are left alone: nothing is sent there on the member's say-so anyway."""
    require_customer(tx, studio_id, customer_id, lock=True)
    repository = PreferencesRepository(tx, studio_id)
    state = member_state(tx, studio_id, customer_id)
    changes = [
        Change(category, channel, True, False)
        for category, channel in slots
        if state.fixed_by((category, channel)) is None and state.decide(category, channel).permitted
    ]
    for change in changes:
        repository.record(customer_id, change, audit, now=now)
    if changes:
        preferences_updated(tx, studio_id, customer_id, now=now)
    return changes


def preferences_updated(tx: Tx, studio_id: int, customer_id: int, *, now: datetime) -> None:
    """Partners hear of every change of what GET answers (choices, blocks)."""
    enqueue(
        tx,
        studio_id=studio_id,
        now=now,
        entity_id=customer_id,
        event_type=EventType.CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED,
    )


def decide(
    tx: Tx, studio_id: int, customer_id: int, category: MessageCategory, channel: CommunicationChannel
) -> Decision:
    """The one decision for (customer, category, channel); raises if the customer is unknown."""
    return member_state(tx, studio_id, customer_id).decide(category, channel)


def decide_for_all(
    tx: Tx, studio_id: int, category: MessageCategory, channel: CommunicationChannel
) -> Callable[[int], Decision]:
    """The one decision for (category, channel), for any customer of the studio: read once.

    The returned function does not check that a customer exists (the caller knows its customers).
    """
    slot = PreferencesRepository(tx, studio_id).slot(category, channel)
    unblocked: dict[CommunicationChannel, Block] = {}
    return lambda customer_id: decide_slot(
        slot.offer, slot.choices.get(customer_id), block_of(slot.blocks.get(customer_id, unblocked), channel)
    )


def get_permission(
    tx: Tx,
    studio_id: int,
    customer_id: int,
    category: MessageCategory,
    channel: CommunicationChannel,
    *,
    now: datetime,
) -> CommunicationPermission:
    decision = decide(tx, studio_id, customer_id, category, channel)
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
    tx: Tx, studio_id: int, customer_id: int, *, offset: str | None, slice_size: int
) -> Slice[ConsentLedgerEntryRead]:
    require_customer(tx, studio_id, customer_id)
    repository = PreferencesRepository(tx, studio_id)
    return slice_of(
        ConsentLedgerEntryRead,
        offset,
        slice_size,
        lambda before, limit: repository.history(customer_id, before=before, limit=limit),
        _entry_to_wire,
    )


def _requested(entry: CommunicationPreference) -> RequestedCategory:
    return RequestedCategory(
        category=entry.messageCategory,
        channels=[
            RequestedChannel(channel=wrapper.communicationChannel, active=wrapper.active)
            for wrapper in entry.channels or []
        ],
    )


def to_wire(state: State) -> list[CommunicationPreference]:
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


def wire_json(state: State) -> bytes:
    """What :func:`to_wire` dumps to, without building the models: the hot GET and PUT answer.

    Same keys in the same order (tests/preferences/test_wire.py holds the two equal); every
    value is set, so Pydantic's ``exclude_none`` has nothing to drop.
    """
    return orjson.dumps(
        [
            {
                "messageCategory": category.value,
                "channels": [
                    {
                        "communicationChannel": channel.channel.value,
                        "customerOverridable": channel.customer_overridable,
                        "active": channel.active,
                    }
                    for channel in channels
                ],
            }
            for category, channels in state.effective()
        ]
    )


def _entry_to_wire(entry: LedgerEntry) -> ConsentLedgerEntryRead:
    return ConsentLedgerEntryRead(
        entryId=entry.id,
        messageCategory=entry.category,
        communicationChannel=entry.channel,
        previousActive=entry.previous_active,
        active=entry.active,
        source=entry.source,
        actor=entry.actor,
        requestId=entry.request_id,
        occurredAt=entry.occurred_at,
        ipAddress=entry.ip_address,
        userAgent=entry.user_agent,
        textVersion=entry.text_version,
        details=entry.details,
    )
