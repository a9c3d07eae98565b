"""Partner API for member links (extensions under ``/v1``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends
from fastapi.responses import Response

from studio_comms.api.context import ApiContext, api_writer
from studio_comms.core.auth import Principal, Scope
from studio_comms.core.openapi import CustomerId, error_responses
from studio_comms.db.tx import Tx
from studio_comms.links import service as links
from studio_comms.links.schemas import (
    PreferenceLink,
    PreferenceLinkCreate,
    UnsubscribeLink,
    UnsubscribeLinkCreate,
)
from studio_comms.links.secret import LazySigner

router = APIRouter(prefix="/v1/communications", tags=["Member links"])
Writer = Annotated[ApiContext, Depends(api_writer(Scope.COMMUNICATION_PREFERENCES_WRITE))]


def _signer(ctx: ApiContext) -> LazySigner:
    signer: LazySigner = ctx.request.app.state.link_signer
    return signer


@router.post(
    "/{customerId}/preference-links",
    operation_id="createPreferenceLink",
    summary="Link to the member preference center (extension)",
    response_model=PreferenceLink,
    responses=error_responses(400, 401, 403, 404, 409, 413, 415, 429, 500),
)
async def create_preference_link(
    customerId: CustomerId,
    ctx: Writer,
    body: Annotated[PreferenceLinkCreate | None, Body()] = None,
) -> Response:
    """Required Scopes: `COMMUNICATION_PREFERENCES_WRITE`.

    A signed link to the page where the member sees and changes their preferences. It expires
    after `expiresInDays` (default 30) and stops working when the customer's data is erased
    (409 `CUSTOMER_ERASED` for an erased customer). Nothing is stored: issue links freely.
    """
    data = body or PreferenceLinkCreate()

    def work(tx: Tx, principal: Principal) -> PreferenceLink:
        return links.issue_preference_link(
            tx,
            _signer(ctx).get(),
            principal.studio_id,
            customerId,
            data,
            base_url=ctx.runtime.settings.public_base_url,
            now=ctx.now,
        )

    return await ctx.run(work)


@router.post(
    "/{customerId}/unsubscribe-links",
    operation_id="createUnsubscribeLink",
    summary="One-click unsubscribe link for an email (extension)",
    response_model=UnsubscribeLink,
    responses=error_responses(400, 401, 403, 404, 409, 413, 415, 429, 500),
)
async def create_unsubscribe_link(
    customerId: CustomerId, ctx: Writer, body: Annotated[UnsubscribeLinkCreate, Body()]
) -> Response:
    """Required Scopes: `COMMUNICATION_PREFERENCES_WRITE`.

    For partners who send email themselves: a signed link that switches one category and
    channel off, and the `List-Unsubscribe` / `List-Unsubscribe-Post` headers (RFC 8058) to put
    on the message. 400 `CHANNEL_NOT_OFFERED` or `CHANNEL_NOT_OVERRIDABLE` when the member could
    not switch the channel off; 409 `CUSTOMER_ERASED` for an erased customer.
    """

    def work(tx: Tx, principal: Principal) -> UnsubscribeLink:
        return links.issue_unsubscribe_link(
            tx,
            _signer(ctx).get(),
            principal.studio_id,
            customerId,
            body,
            base_url=ctx.runtime.settings.public_base_url,
            now=ctx.now,
        )

    return await ctx.run(work)
