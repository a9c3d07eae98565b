"""Operator API for customers (``/admin/v1``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy.orm import Session

from studio_comms.core.context import AdminContext, Reply, admin_context
from studio_comms.core.openapi import CustomerId, NewCustomerId, StudioId, error_responses
from studio_comms.customers import service
from studio_comms.customers.schemas import CustomerRead, CustomerUpsert

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

    def work(session: Session) -> Reply:
        customer, created = service.upsert_customer(session, studioId, customerId, body, now=ctx.now)
        return Reply(customer, 201 if created else 200)

    return await ctx.run(work)


@router.get("/{customerId}", response_model=CustomerRead, responses=error_responses(400, 401, 404))
async def get_customer(studioId: StudioId, customerId: CustomerId, ctx: Operator) -> Response:
    return await ctx.run(lambda session: service.get_customer(session, studioId, customerId))


@router.post("/{customerId}/revoke-links", status_code=204, responses=error_responses(400, 401, 404))
async def revoke_member_links(studioId: StudioId, customerId: CustomerId, ctx: Operator) -> Response:
    """Invalidate the customer's signed member links (preference center, unsubscribe) issued so far."""

    def work(session: Session) -> Reply:
        service.revoke_links(session, studioId, customerId)
        return Reply(None, 204)

    return await ctx.run(work)
