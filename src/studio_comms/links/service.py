"""Issuing signed member links (partner API) and checking them against the database (pages)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from studio_comms.customers.errors import CustomerNotFound
from studio_comms.customers.service import CustomerRow, find_customer
from studio_comms.db.tx import Tx
from studio_comms.links.errors import CustomerErased
from studio_comms.links.schemas import (
    ListUnsubscribeHeaders,
    PreferenceLink,
    PreferenceLinkCreate,
    UnsubscribeLink,
    UnsubscribeLinkCreate,
)
from studio_comms.links.tokens import LinkClaims, LinkPurpose, LinkSigner
from studio_comms.preferences.blocks import is_erased
from studio_comms.preferences.errors import ChannelNotOffered, ChannelNotOverridable
from studio_comms.preferences.rules import Rule
from studio_comms.preferences.service import member_state

ONE_CLICK = "List-Unsubscribe=One-Click"


class LinkRevoked(Exception):
    """A genuine link whose customer is gone or erased, or that was issued before a revocation."""


def _current_epoch(tx: Tx, studio_id: int, customer_id: int) -> int:
    customer = find_customer(tx, studio_id, customer_id)
    if customer is None:
        raise CustomerNotFound(customerId=customer_id)
    if is_erased(tx, studio_id, customer_id):
        raise CustomerErased(customerId=customer_id)
    return customer.link_epoch


def _expiry(now: datetime, days: int) -> datetime:
    # Tokens carry whole seconds; the answer names exactly the instant the token holds.
    return (now + timedelta(days=days)).replace(microsecond=0)


def issue_preference_link(
    tx: Tx,
    signer: LinkSigner,
    studio_id: int,
    customer_id: int,
    data: PreferenceLinkCreate,
    *,
    base_url: str,
    now: datetime,
) -> PreferenceLink:
    epoch = _current_epoch(tx, studio_id, customer_id)
    expires_at = _expiry(now, data.expiresInDays)
    language = data.language.value if data.language else None
    claims = LinkClaims(LinkPurpose.PREFERENCES, studio_id, customer_id, epoch, expires_at, language=language)
    return PreferenceLink(url=f"{base_url}/preferences/{signer.sign(claims)}", expiresAt=expires_at)


def issue_unsubscribe_link(
    tx: Tx,
    signer: LinkSigner,
    studio_id: int,
    customer_id: int,
    data: UnsubscribeLinkCreate,
    *,
    base_url: str,
    now: datetime,
) -> UnsubscribeLink:
    """A one-click link for a channel the customer may switch off; refused for any other."""
    epoch = _current_epoch(tx, studio_id, customer_id)
    state = member_state(tx, studio_id, customer_id)
    names: dict[str, Any] = {"category": data.messageCategory, "channel": data.communicationChannel}
    # A blocked channel may still get a link: it works again once the block is lifted.
    fixed_by = state.fixed_by((data.messageCategory, data.communicationChannel))
    if fixed_by is Rule.NOT_OFFERED:
        raise ChannelNotOffered(reference="communicationChannel", **names)
    if fixed_by is Rule.STUDIO_ENFORCED:
        raise ChannelNotOverridable(reference="communicationChannel", **names)
    expires_at = _expiry(now, data.expiresInDays)
    claims = LinkClaims(
        LinkPurpose.UNSUBSCRIBE,
        studio_id,
        customer_id,
        epoch,
        expires_at,
        category=data.messageCategory,
        channel=data.communicationChannel,
    )
    url = f"{base_url}/unsubscribe/{signer.sign(claims)}"
    headers = ListUnsubscribeHeaders(list_unsubscribe=f"<{url}>", list_unsubscribe_post=ONE_CLICK)
    return UnsubscribeLink(url=url, listUnsubscribeHeaders=headers, expiresAt=expires_at)


def require_live_link(tx: Tx, claims: LinkClaims) -> CustomerRow:
    """The link's customer, unless the link was revoked (erasure, epoch raised, customer deleted)."""
    customer = find_customer(tx, claims.studio_id, claims.customer_id)
    if (
        customer is None
        or customer.link_epoch != claims.epoch
        or is_erased(tx, claims.studio_id, claims.customer_id)
    ):
        raise LinkRevoked()
    return customer
