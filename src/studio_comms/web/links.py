"""Issuing signed member links (partner API) and checking them against the database (pages)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from studio_comms.customers.errors import CustomerNotFound
from studio_comms.customers.models import Customer
from studio_comms.customers.repository import CustomersRepository
from studio_comms.db.rawsql import of_session
from studio_comms.preferences.errors import ChannelNotOffered, ChannelNotOverridable
from studio_comms.preferences.models import Suppression
from studio_comms.preferences.repository import load_state
from studio_comms.preferences.suppressions import SuppressionReason
from studio_comms.web.errors import CustomerErased
from studio_comms.web.schemas import (
    ListUnsubscribeHeaders,
    PreferenceLink,
    PreferenceLinkCreate,
    UnsubscribeLink,
    UnsubscribeLinkCreate,
)
from studio_comms.web.tokens import LinkClaims, LinkPurpose, LinkSigner

ONE_CLICK = "List-Unsubscribe=One-Click"


class LinkRevoked(Exception):
    """A genuine link whose customer is gone or erased, or that was issued before a revocation."""


def _is_erased(session: Session, studio_id: int, customer_id: int) -> bool:
    return (
        session.execute(
            select(Suppression.communication_channel).where(
                Suppression.studio_id == studio_id,
                Suppression.customer_id == customer_id,
                Suppression.reason == SuppressionReason.ERASED.value,
            )
        ).first()
        is not None
    )


def _current_epoch(session: Session, studio_id: int, customer_id: int) -> int:
    customer = CustomersRepository(session, studio_id).get(customer_id)
    if customer is None:
        raise CustomerNotFound(customerId=customer_id)
    if _is_erased(session, studio_id, customer_id):
        raise CustomerErased(customerId=customer_id)
    return customer.link_epoch


def _expiry(now: datetime, days: int) -> datetime:
    # Tokens carry whole seconds; the answer names exactly the instant the token holds.
    return (now + timedelta(days=days)).replace(microsecond=0)


def issue_preference_link(
    session: Session,
    signer: LinkSigner,
    studio_id: int,
    customer_id: int,
    data: PreferenceLinkCreate,
    *,
    base_url: str,
    now: datetime,
) -> PreferenceLink:
    epoch = _current_epoch(session, studio_id, customer_id)
    expires_at = _expiry(now, data.expiresInDays)
    language = data.language.value if data.language else None
    claims = LinkClaims(LinkPurpose.PREFERENCES, studio_id, customer_id, epoch, expires_at, language=language)
    return PreferenceLink(url=f"{base_url}/preferences/{signer.sign(claims)}", expiresAt=expires_at)


def issue_unsubscribe_link(
    session: Session,
    signer: LinkSigner,
    studio_id: int,
    customer_id: int,
    data: UnsubscribeLinkCreate,
    *,
    base_url: str,
    now: datetime,
) -> UnsubscribeLink:
    """A one-click link for a channel the customer may switch off; refused for any other."""
    epoch = _current_epoch(session, studio_id, customer_id)
    state = load_state(of_session(session), studio_id, customer_id)
    assert state is not None  # the customer exists (checked above, same transaction)
    names: dict[str, Any] = {"category": data.messageCategory, "channel": data.communicationChannel}
    offer = state.offers.get((data.messageCategory, data.communicationChannel))
    if offer is None:
        raise ChannelNotOffered(reference="communicationChannel", **names)
    if not offer.customer_overridable:
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


def require_live_link(session: Session, claims: LinkClaims) -> Customer:
    """The link's customer, unless the link was revoked (erasure, epoch raised, customer deleted)."""
    customer = session.get(Customer, (claims.studio_id, claims.customer_id))
    if (
        customer is None
        or customer.link_epoch != claims.epoch
        or _is_erased(session, claims.studio_id, claims.customer_id)
    ):
        raise LinkRevoked()
    return customer
