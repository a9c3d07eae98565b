"""Operator API for customers and their blocks (``/admin/v1``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from studio_comms.admin.studio_scope import in_studio
from studio_comms.api.context import AdminContext, Reply, admin_context
from studio_comms.core.openapi import CustomerId, NewCustomerId, StudioId, error_responses
from studio_comms.core.vocabulary import CommunicationChannel
from studio_comms.customers import service
from studio_comms.customers.schemas import CustomerRead, CustomerUpsert
from studio_comms.db.tx import Tx
from studio_comms.preferences import blocks
from studio_comms.preferences.schemas import SuppressionRead, SuppressionWrite

router = APIRouter(prefix="/admin/v1/studios/{studioId}/customers", tags=["Operator"])
Operator = Annotated[AdminContext, Depends(admin_context)]


@router.put(
    "/{customerId}",
    response_model=CustomerRead,
    responses={
        201: {"model": CustomerRead, "description": "Created"},
        **error_responses(400, 401, 404, 413, 415),
    },
)
async def put_customer(
    studioId: StudioId, customerId: NewCustomerId, body: CustomerUpsert, ctx: Operator
) -> Response:
    """Create the customer (201) or replace its details (200)."""

    def work(tx: Tx) -> Reply:
        customer, created = service.upsert_customer(tx, studioId, customerId, body, now=ctx.now)
        return Reply(customer, 201 if created else 200)

    return await in_studio(ctx, studioId, work)


@router.get("/{customerId}", response_model=CustomerRead, responses=error_responses(400, 401, 404))
async def get_customer(studioId: StudioId, customerId: CustomerId, ctx: Operator) -> Response:
    return await in_studio(ctx, studioId, lambda tx: service.get_customer(tx, studioId, customerId))


@router.post("/{customerId}/revoke-links", status_code=204, responses=error_responses(400, 401, 404))
async def revoke_member_links(studioId: StudioId, customerId: CustomerId, ctx: Operator) -> Response:
    """Invalidate the customer's signed member links (preference center, unsubscribe) issued so far."""

    def work(tx: Tx) -> Reply:
        service.revoke_links(tx, studioId, customerId)
        return Reply(None, 204)

    return await in_studio(ctx, studioId, work)


@router.get(
    "/{customerId}/suppressions",
    response_model=list[SuppressionRead],
    responses=error_responses(400, 401, 404),
)
async def get_suppressions(studioId: StudioId, customerId: CustomerId, ctx: Operator) -> Response:
    return await in_studio(ctx, studioId, lambda tx: blocks.list_suppressions(tx, studioId, customerId))


@router.put(
    "/{customerId}/suppressions/{channel}",
    response_model=list[SuppressionRead],
    responses=error_responses(400, 401, 404, 413, 415),
)
async def put_suppression(
    studioId: StudioId,
    customerId: CustomerId,
    channel: CommunicationChannel,
    ctx: Operator,
    body: SuppressionWrite | None = None,
) -> Response:
    """Block the channel for the customer; answers the customer's blocks. `ERASED` (the customer's
    data was erased) blocks every channel and category, whichever channel it is recorded on, and
    revokes the customer's member links for good."""
    reason = (body or SuppressionWrite()).reason
    return await in_studio(
        ctx,
        studioId,
        lambda tx: blocks.set_suppression(tx, studioId, customerId, channel, reason, now=ctx.now),
    )


@router.delete(
    "/{customerId}/suppressions/{channel}", status_code=204, responses=error_responses(400, 401, 404)
)
async def delete_suppression(
    studioId: StudioId, customerId: CustomerId, channel: CommunicationChannel, ctx: Operator
) -> Response:
    def work(tx: Tx) -> Reply:
        blocks.lift_suppression(tx, studioId, customerId, channel, now=ctx.now)
        return Reply(None, 204)

    return await in_studio(ctx, studioId, work)
