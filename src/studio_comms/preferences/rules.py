"""Pure preference decisions (no I/O): the one place that says whether a channel may be used.

Order: a hard block denies (an erasure, a block with reason ``ERASED`` on whichever channel it was
recorded, blocks every channel and category); a channel the studio does not offer is denied; a
channel that is not customer-overridable takes the studio default; otherwise the customer's own
choice, or the studio default where the customer made none.

Every place that decides asks this module and nothing else: the permission endpoint, the receipts
of threads, single and bulk sending, the worker's re-check, the member pages and links
(tests/preferences/test_one_decision.py holds them equal for generated member states).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from studio_comms.core.errors import Invalid
from studio_comms.core.vocabulary import (
    CATEGORY_ORDER,
    CHANNEL_ORDER,
    CommunicationChannel,
    MessageCategory,
)
from studio_comms.preferences.errors import (
    ChannelNotOffered,
    ChannelNotOverridable,
    ChannelSuppressed,
    DuplicateCategory,
    DuplicateChannel,
)

Slot = tuple[MessageCategory, CommunicationChannel]
# The values of a decision are NamedTuples, not dataclasses: a GET builds dozens of them, and a
# tuple is made for a fraction of a frozen dataclass's cost.


class Rule(StrEnum):
    BLOCKED = "BLOCKED"
    NOT_OFFERED = "NOT_OFFERED"
    STUDIO_ENFORCED = "STUDIO_ENFORCED"
    CUSTOMER_CHOICE = "CUSTOMER_CHOICE"
    STUDIO_DEFAULT = "STUDIO_DEFAULT"


class Offer(NamedTuple):
    active: bool
    customer_overridable: bool


class Choice(NamedTuple):
    active: bool
    ledger_entry_id: int


class Block(NamedTuple):
    reason: str


# Blocks the member lifts by opting in again (a soft-bounce pause); every other block only an
# operator lifts (a dead address, a complaint, STOP, an erasure).
MEMBER_LIFTABLE = frozenset({"SOFT_BOUNCED"})


# The block reason of an erasure: the member is blocked on every channel, whichever one the
# suppression was recorded on (``SuppressionReason.ERASED``).
ERASURE = "ERASED"


def erasure_of(blocks: Mapping[CommunicationChannel, Block]) -> Block | None:
    """The member's erasure, if one of their blocks is one."""
    for block in blocks.values():
        if block.reason == ERASURE:
            return block
    return None


def block_of(blocks: Mapping[CommunicationChannel, Block], channel: CommunicationChannel) -> Block | None:
    """The block that denies ``channel``: an erasure wins over the channel's own block."""
    return erasure_of(blocks) or blocks.get(channel)


class Decision(NamedTuple):
    permitted: bool
    rule: Rule
    ledger_entry_id: int | None = None
    block_reason: str | None = None


def decide(offer: Offer | None, choice: Choice | None, block: Block | None) -> Decision:
    """The decision for one slot; ``block`` is what :func:`block_of` says for its channel."""
    if block is not None:
        return Decision(False, Rule.BLOCKED, block_reason=block.reason)
    if offer is None:
        return Decision(False, Rule.NOT_OFFERED)
    if not offer.customer_overridable:
        return Decision(offer.active, Rule.STUDIO_ENFORCED)
    if choice is not None:
        return Decision(choice.active, Rule.CUSTOMER_CHOICE, ledger_entry_id=choice.ledger_entry_id)
    return Decision(offer.active, Rule.STUDIO_DEFAULT)


class EffectiveChannel(NamedTuple):
    channel: CommunicationChannel
    active: bool
    customer_overridable: bool


@dataclass(frozen=True, slots=True)
class State:
    """Everything a decision for one customer needs, loaded once."""

    offers: Mapping[Slot, Offer]
    choices: Mapping[Slot, Choice]
    # The member's blocks as recorded, by channel (an erasure among them blocks every channel).
    blocks: Mapping[CommunicationChannel, Block]
    # Found once (a GET decides dozens of slots): the erasure among ``blocks``, if any.
    erasure: Block | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "erasure", erasure_of(self.blocks))

    def block(self, channel: CommunicationChannel) -> Block | None:
        """What :func:`block_of` says for ``channel``."""
        return self.erasure or self.blocks.get(channel)

    def decide(self, category: MessageCategory, channel: CommunicationChannel) -> Decision:
        slot = (category, channel)
        # self.block(channel), inlined: the GET decides every offered slot.
        return decide(self.offers.get(slot), self.choices.get(slot), self.erasure or self.blocks.get(channel))

    def fixed_by(self, slot: Slot) -> Rule | None:
        """Why the member cannot switch this channel, or None when they may.

        The one answer for the API's PUT, the preference center and unsubscribe links:
        ``NOT_OFFERED`` (the studio does not offer it), ``BLOCKED`` (suppressed, or the member
        erased, until lifted), ``STUDIO_ENFORCED`` (the studio decides, not the member).
        """
        offer = self.offers.get(slot)
        if offer is None:
            return Rule.NOT_OFFERED
        block = self.block(slot[1])
        if block is not None and block.reason not in MEMBER_LIFTABLE:
            return Rule.BLOCKED
        if not offer.customer_overridable:
            return Rule.STUDIO_ENFORCED
        return None

    def with_choices(self, recorded: Mapping[Slot, Choice]) -> State:
        """The state after ``recorded`` choices were saved (no need to read them back)."""
        return State(offers=self.offers, choices={**self.choices, **recorded}, blocks=self.blocks)

    def effective(self) -> list[tuple[MessageCategory, list[EffectiveChannel]]]:
        """One entry per offered category, channels in enum order (the GET answer)."""
        by_category: dict[MessageCategory, list[EffectiveChannel]] = {}
        for slot in sorted(self.offers, key=_SLOT_ORDER.__getitem__):
            category, channel = slot
            by_category.setdefault(category, []).append(
                EffectiveChannel(
                    channel=channel,
                    active=self.decide(category, channel).permitted,
                    # A blocked channel cannot be changed by anyone until the block is lifted.
                    customer_overridable=self.fixed_by(slot) is None,
                )
            )
        return list(by_category.items())


# Enum order of every slot, categories first: sorting once gives the GET answer's order.
_SLOT_ORDER = {
    (category, channel): (CATEGORY_ORDER[category], CHANNEL_ORDER[channel])
    for category in MessageCategory
    for channel in CommunicationChannel
}


@dataclass(frozen=True, slots=True)
class RequestedChannel:
    channel: CommunicationChannel
    active: bool | None


@dataclass(frozen=True, slots=True)
class RequestedCategory:
    category: MessageCategory | None
    channels: Sequence[RequestedChannel]


@dataclass(frozen=True, slots=True)
class Change:
    category: MessageCategory
    channel: CommunicationChannel
    previous_active: bool
    active: bool


def lifted_by(state: State, changes: Sequence[Change]) -> set[CommunicationChannel]:
    """The channels whose member-liftable block (``MEMBER_LIFTABLE``) the member's opt-in lifts: a
    change switching on a slot of the blocked channel."""
    return {
        change.channel
        for change in changes
        if change.active
        and (block := state.block(change.channel)) is not None
        and block.reason in MEMBER_LIFTABLE
    }


def check_structure(
    entries: Sequence[tuple[MessageCategory | None, Sequence[CommunicationChannel]]],
) -> None:
    """Every entry names its category; no category, and no channel within one, appears twice."""
    seen_categories: set[MessageCategory] = set()
    for i, (category, channels) in enumerate(entries):
        if category is None:
            raise Invalid(
                reference=f"[{i}].messageCategory",
                message_key="FIELD_REQUIRED",
                field=f"[{i}].messageCategory",
            )
        if category in seen_categories:
            raise DuplicateCategory(reference=f"[{i}].messageCategory", category=category)
        seen_categories.add(category)
        seen_channels: set[CommunicationChannel] = set()
        for j, channel in enumerate(channels):
            if channel in seen_channels:
                raise DuplicateChannel(
                    reference=f"[{i}].channels[{j}].communicationChannel",
                    category=category,
                    channel=channel,
                )
            seen_channels.add(channel)


def plan_changes(state: State, requested: Sequence[RequestedCategory]) -> list[Change]:
    """The effective changes a merge-PUT asks for, or the first reason it must be refused.

    Nothing is written before this returns, so a refused body changes nothing. Entries that
    restate the current effective value are no change (clients often PUT back what they read).
    """
    check_structure([(entry.category, [c.channel for c in entry.channels]) for entry in requested])
    changes: list[Change] = []
    for i, entry in enumerate(requested):
        assert entry.category is not None  # checked above
        for j, wanted in enumerate(entry.channels):
            path = f"[{i}].channels[{j}]"
            names: dict[str, Any] = {"category": entry.category, "channel": wanted.channel}
            slot = (entry.category, wanted.channel)
            fixed_by = state.fixed_by(slot)
            if fixed_by is Rule.NOT_OFFERED:
                raise ChannelNotOffered(reference=f"{path}.communicationChannel", **names)
            current = state.decide(*slot)
            if wanted.active is None or wanted.active == current.permitted:
                continue
            if fixed_by is Rule.BLOCKED:
                raise ChannelSuppressed(reference=f"{path}.active", reason=current.block_reason, **names)
            if fixed_by is Rule.STUDIO_ENFORCED:
                raise ChannelNotOverridable(reference=f"{path}.active", **names)
            changes.append(Change(entry.category, wanted.channel, current.permitted, wanted.active))
    return changes
