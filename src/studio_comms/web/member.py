"""What the member pages do with the database, on behalf of a verified link.

Changes go through ``preferences.service.update_preferences``, the same path as the API's PUT,
so the ledger entries, the lock on the customer and the ``CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED``
event are exactly those of an API change; only the audit (source, text version) differs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from studio_comms.core.audit import Audit
from studio_comms.core.vocabulary import CATEGORY_ORDER, CHANNEL_ORDER
from studio_comms.db.tx import Tx
from studio_comms.links.service import require_live_link
from studio_comms.links.tokens import LinkClaims
from studio_comms.preferences.rules import Change, Slot, State
from studio_comms.preferences.schemas import CommunicationChannelWrapper, CommunicationPreference
from studio_comms.preferences.service import member_state, update_preferences
from studio_comms.studios.service import get_studio


@dataclass(frozen=True, slots=True)
class MemberView:
    studio_name: str
    studio_language: str | None
    customer_language: str | None
    state: State


def load_view(tx: Tx, claims: LinkClaims) -> MemberView:
    customer = require_live_link(tx, claims)
    studio = get_studio(tx, claims.studio_id)
    state = member_state(tx, claims.studio_id, claims.customer_id)
    return MemberView(studio.name, studio.language, customer.language, state)


def planned_changes(state: State, shown: Mapping[Slot, bool], ticked: set[Slot]) -> dict[Slot, bool]:
    """The boxes the member flipped (against what the page showed) that still change something now.

    A box the member did not touch is never written, even if its value changed elsewhere since the
    page was shown; a slot the member may no longer change is left out.
    """
    flipped = {slot: slot in ticked for slot, before in shown.items() if (slot in ticked) != before}
    wanted = {
        slot: active
        for slot, active in flipped.items()
        if state.fixed_by(slot) is None and state.decide(*slot).permitted != active
    }
    return dict(sorted(wanted.items(), key=lambda i: (CATEGORY_ORDER[i[0][0]], CHANNEL_ORDER[i[0][1]])))


def apply_changes(
    tx: Tx, claims: LinkClaims, wanted: Mapping[Slot, bool], *, audit: Audit, now: datetime
) -> list[Change]:
    """Write ``wanted`` as one merge, all or nothing; raises the preference errors of the API."""
    require_live_link(tx, claims)
    categories = dict.fromkeys(category for category, _ in wanted)
    body = [
        CommunicationPreference(
            messageCategory=category,
            channels=[
                CommunicationChannelWrapper(communicationChannel=channel, active=active)
                for (of_category, channel), active in wanted.items()
                if of_category == category
            ],
        )
        for category in categories
    ]
    _, changes = update_preferences(tx, claims.studio_id, claims.customer_id, body, audit=audit, now=now)
    return changes
