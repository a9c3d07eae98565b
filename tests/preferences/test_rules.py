"""The one decision function and the merge planner, without a database."""

from __future__ import annotations

import pytest

from studio_comms.core.errors import Invalid
from studio_comms.core.vocabulary import CommunicationChannel as Ch
from studio_comms.core.vocabulary import MessageCategory as Cat
from studio_comms.preferences.errors import (
    ChannelNotOffered,
    ChannelNotOverridable,
    ChannelSuppressed,
    DuplicateCategory,
    DuplicateChannel,
)
from studio_comms.preferences.rules import (
    ERASURE,
    Block,
    Change,
    Choice,
    Offer,
    RequestedCategory,
    RequestedChannel,
    Rule,
    State,
    block_of,
    decide,
    plan_changes,
)
from studio_comms.preferences.schemas import SuppressionReason

OPEN = Offer(active=False, customer_overridable=True)
ENFORCED = Offer(active=True, customer_overridable=False)


@pytest.mark.parametrize(
    ("offer", "choice", "block", "permitted", "rule"),
    [
        (OPEN, Choice(True, 7), Block("HARD_BOUNCE"), False, Rule.BLOCKED),
        (None, Choice(True, 7), None, False, Rule.NOT_OFFERED),
        (ENFORCED, Choice(False, 7), None, True, Rule.STUDIO_ENFORCED),
        (Offer(False, False), None, None, False, Rule.STUDIO_ENFORCED),
        (OPEN, Choice(True, 7), None, True, Rule.CUSTOMER_CHOICE),
        (Offer(True, True), Choice(False, 7), None, False, Rule.CUSTOMER_CHOICE),
        (OPEN, None, None, False, Rule.STUDIO_DEFAULT),
        (Offer(True, True), None, None, True, Rule.STUDIO_DEFAULT),
    ],
)
def test_decide_applies_the_rules_in_order(
    offer: Offer | None, choice: Choice | None, block: Block | None, permitted: bool, rule: Rule
) -> None:
    decision = decide(offer, choice, block)
    assert (decision.permitted, decision.rule) == (permitted, rule)


def test_decision_carries_its_proof() -> None:
    assert decide(OPEN, Choice(True, 42), None).ledger_entry_id == 42
    assert decide(OPEN, None, Block("SMS_STOP")).block_reason == "SMS_STOP"
    assert decide(ENFORCED, Choice(False, 42), None).ledger_entry_id is None


STATE = State(
    offers={
        (Cat.NEWSLETTER, Ch.EMAIL): OPEN,
        (Cat.NEWSLETTER, Ch.TEXT_MESSAGE): OPEN,
        (Cat.CONTRACT, Ch.EMAIL): ENFORCED,
    },
    choices={(Cat.NEWSLETTER, Ch.TEXT_MESSAGE): Choice(True, 3)},
    blocks={},
)


def request(category: Cat | None, *channels: tuple[Ch, bool | None]) -> RequestedCategory:
    return RequestedCategory(category, [RequestedChannel(ch, active) for ch, active in channels])


def test_plan_lists_only_effective_changes() -> None:
    changes = plan_changes(
        STATE,
        [
            request(Cat.NEWSLETTER, (Ch.EMAIL, True), (Ch.TEXT_MESSAGE, True)),
            request(Cat.CONTRACT, (Ch.EMAIL, True)),
        ],
    )
    assert changes == [Change(Cat.NEWSLETTER, Ch.EMAIL, previous_active=False, active=True)]


def test_absent_active_changes_nothing() -> None:
    assert plan_changes(STATE, [request(Cat.NEWSLETTER, (Ch.EMAIL, None))]) == []


@pytest.mark.parametrize(
    ("body", "error", "reference"),
    [
        ([request(None)], Invalid, "[0].messageCategory"),
        ([request(Cat.NEWSLETTER), request(Cat.NEWSLETTER)], DuplicateCategory, "[1].messageCategory"),
        (
            [request(Cat.NEWSLETTER, (Ch.EMAIL, True), (Ch.EMAIL, False))],
            DuplicateChannel,
            "[0].channels[1].communicationChannel",
        ),
        (
            [request(Cat.NEWSLETTER, (Ch.FAX, True))],
            ChannelNotOffered,
            "[0].channels[0].communicationChannel",
        ),
        ([request(Cat.GENERAL, (Ch.EMAIL, True))], ChannelNotOffered, "[0].channels[0].communicationChannel"),
        (
            [request(Cat.NEWSLETTER, (Ch.EMAIL, True)), request(Cat.CONTRACT, (Ch.EMAIL, False))],
            ChannelNotOverridable,
            "[1].channels[0].active",
        ),
    ],
)
def test_plan_refuses_with_the_field_at_fault(
    body: list[RequestedCategory], error: type[Exception], reference: str
) -> None:
    with pytest.raises(error) as raised:
        plan_changes(STATE, body)
    assert raised.value.reference == reference  # type: ignore[attr-defined]


def test_blocked_channel_cannot_be_activated_but_may_be_restated_off() -> None:
    blocked = State(offers=STATE.offers, choices={}, blocks={Ch.EMAIL: Block("HARD_BOUNCE")})
    with pytest.raises(ChannelSuppressed) as raised:
        plan_changes(blocked, [request(Cat.NEWSLETTER, (Ch.EMAIL, True))])
    assert raised.value.reference == "[0].channels[0].active"
    assert plan_changes(blocked, [request(Cat.NEWSLETTER, (Ch.EMAIL, False))]) == []


def test_effective_state_orders_by_enum_and_hides_overridability_of_blocked_channels() -> None:
    blocked = State(offers=STATE.offers, choices=STATE.choices, blocks={Ch.TEXT_MESSAGE: Block("SMS_STOP")})
    effective = blocked.effective()
    assert [category for category, _ in effective] == [Cat.CONTRACT, Cat.NEWSLETTER]
    newsletter = effective[1][1]
    assert [(c.channel, c.active, c.customer_overridable) for c in newsletter] == [
        (Ch.EMAIL, False, True),
        (Ch.TEXT_MESSAGE, False, False),
    ]


def test_an_erasure_on_one_channel_blocks_every_slot_with_its_own_reason() -> None:
    assert SuppressionReason.ERASED.value == ERASURE
    offers = {(Cat.APPOINTMENT, Ch.TEXT_MESSAGE): OPEN, (Cat.CONTRACT, Ch.LETTER): ENFORCED}
    state = State(
        offers=offers,
        choices={(Cat.APPOINTMENT, Ch.TEXT_MESSAGE): Choice(True, 3)},
        blocks={Ch.EMAIL: Block("ERASED"), Ch.TEXT_MESSAGE: Block("SMS_STOP")},
    )
    assert state.erasure == Block("ERASED")
    for category in Cat:
        for channel in Ch:
            assert state.decide(category, channel) == (False, Rule.BLOCKED, None, "ERASED")
    # Nobody may switch anything for an erased member; a slot not offered stays NOT_OFFERED.
    assert state.fixed_by((Cat.APPOINTMENT, Ch.TEXT_MESSAGE)) is Rule.BLOCKED
    assert state.fixed_by((Cat.CONTRACT, Ch.LETTER)) is Rule.BLOCKED
    assert state.fixed_by((Cat.NEWSLETTER, Ch.FAX)) is Rule.NOT_OFFERED
    # The same answer from the blocks alone (how bulk sending decides for every customer at once).
    assert block_of(state.blocks, Ch.PHONE) == Block("ERASED")
    assert block_of({Ch.TEXT_MESSAGE: Block("SMS_STOP")}, Ch.TEXT_MESSAGE) == Block("SMS_STOP")
    assert block_of({Ch.TEXT_MESSAGE: Block("SMS_STOP")}, Ch.EMAIL) is None
