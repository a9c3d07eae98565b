"""The hot GET/PUT answer (``wire_json``) is byte for byte what the Pydantic models dump to."""

from __future__ import annotations

import itertools

import pytest

from studio_comms.core.vocabulary import CommunicationChannel as Ch
from studio_comms.core.vocabulary import MessageCategory as Cat
from studio_comms.preferences.rules import Block, Choice, Offer, State
from studio_comms.preferences.service import to_wire, wire_json

OFFERS = {
    (Cat.NEWSLETTER, Ch.EMAIL): Offer(active=False, customer_overridable=True),
    (Cat.NEWSLETTER, Ch.TEXT_MESSAGE): Offer(active=True, customer_overridable=True),
    (Cat.CONTRACT, Ch.LETTER): Offer(active=True, customer_overridable=False),
    (Cat.GENERAL, Ch.PHONE): Offer(active=True, customer_overridable=True),
    (Cat.GENERAL, Ch.EMAIL): Offer(active=True, customer_overridable=True),
}
STATES = {
    "nothing offered": State(offers={}, choices={}, blocks={}),
    "defaults": State(offers=OFFERS, choices={}, blocks={}),
    "choices": State(
        offers=OFFERS,
        choices={(Cat.NEWSLETTER, Ch.EMAIL): Choice(True, 7), (Cat.GENERAL, Ch.PHONE): Choice(False, 8)},
        blocks={},
    ),
    "blocked": State(
        offers=OFFERS,
        choices={(Cat.NEWSLETTER, Ch.EMAIL): Choice(True, 7)},
        blocks={Ch.EMAIL: Block("BOUNCED")},
    ),
}


@pytest.mark.parametrize("name", STATES)
def test_wire_json_is_what_the_models_dump_to(name: str) -> None:
    state = STATES[name]
    dumped = b"[" + b",".join(p.model_dump_json(exclude_none=True).encode() for p in to_wire(state)) + b"]"
    assert wire_json(state) == dumped


def test_the_order_is_the_enums_whatever_the_offers_order() -> None:
    for order in itertools.islice(itertools.permutations(OFFERS), 6):
        state = State(offers={slot: OFFERS[slot] for slot in order}, choices={}, blocks={})
        assert wire_json(state) == wire_json(STATES["defaults"])
