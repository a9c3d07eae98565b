"""The studio's offer: per message category, the channels it offers, each with its default
``active`` and whether the customer may change it (the operator's communication settings)."""

from __future__ import annotations

from collections.abc import Sequence

from studio_comms.db.tx import Tx
from studio_comms.preferences.defaults import DEFAULT_SETTINGS
from studio_comms.preferences.repository import PreferencesRepository
from studio_comms.preferences.rules import Offer, State, check_structure
from studio_comms.preferences.schemas import CommunicationPreference, OfferedCategory
from studio_comms.preferences.service import to_wire


def seed_default_offer(tx: Tx, studio_id: int) -> None:
    """A new studio's offer, until the operator sets another (marketing is opt-in)."""
    PreferencesRepository(tx, studio_id).replace_offers(
        ((category, channel), Offer(active, overridable))
        for category, channel, active, overridable in DEFAULT_SETTINGS
    )


def get_offer(tx: Tx, studio_id: int) -> list[CommunicationPreference]:
    """In the compatible shape: what a customer without any choice of their own gets."""
    return to_wire(State(offers=PreferencesRepository(tx, studio_id).offers(), choices={}, blocks={}))


def replace_offer(tx: Tx, studio_id: int, body: Sequence[OfferedCategory]) -> list[CommunicationPreference]:
    """The body becomes the whole offer: a channel or category left out is no longer offered.

    Customers' own choices are kept, so offering a channel again brings them back.
    """
    check_structure(
        [(entry.messageCategory, [w.communicationChannel for w in entry.channels]) for entry in body]
    )
    PreferencesRepository(tx, studio_id).replace_offers(
        (
            (entry.messageCategory, wrapper.communicationChannel),
            Offer(wrapper.active, wrapper.customerOverridable),
        )
        for entry in body
        for wrapper in entry.channels
    )
    return get_offer(tx, studio_id)
