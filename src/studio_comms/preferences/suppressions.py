"""Hard blocks of a channel for one customer (operator API ``/admin/v1``).

Later issues set them automatically (hard bounce, SMS STOP, erasure); operators can set and lift
them here. A blocked channel is denied whatever the customer or the studio chose.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from studio_comms.core.context import AdminContext, Reply, admin_context
from studio_comms.core.errors import NotFound
from studio_comms.core.openapi import CustomerId, StudioId, error_responses
from studio_comms.core.vocabulary import CommunicationChannel
from studio_comms.customers.repository import CustomersRepository
from studio_comms.outbox.service import EventType, enqueue
from studio_comms.preferences.models import Suppression
from studio_comms.preferences.repository import PreferencesRepository
from studio_comms.studios.service import require_studio


class SuppressionReason(StrEnum):
    OPERATOR = "OPERATOR"
    HARD_BOUNCE = "HARD_BOUNCE"
    SMS_STOP = "SMS_STOP"
    ERASED = "ERASED"


class SuppressionWrite(BaseModel):
    reason: SuppressionReason = SuppressionReason.OPERATOR


class SuppressionRead(BaseModel):
    communicationChannel: CommunicationChannel
    reason: SuppressionReason
    createdAt: datetime


class SuppressionNotFound(NotFound):
    error_code = "SUPPRESSION_NOT_FOUND"


def set_suppression(
    session: Session,
    studio_id: int,
    customer_id: int,
    channel: CommunicationChannel,
    reason: SuppressionReason,
    *,
    now: datetime,
) -> list[SuppressionRead]:
    require_studio(session, studio_id)
    customers = CustomersRepository(session, studio_id)
    customers.require(customer_id, lock=True)
    PreferencesRepository(session, studio_id).set_block(customer_id, channel, reason.value, now=now)
    if reason is SuppressionReason.ERASED:
        # An erased member's preference and unsubscribe links stop working, and stay dead even
        # if the block is lifted later: new links must be issued.
        customers.revoke_links(customer_id)
    _preferences_updated(session, studio_id, customer_id, now=now)
    return list_suppressions(session, studio_id, customer_id)


def lift_suppression(
    session: Session, studio_id: int, customer_id: int, channel: CommunicationChannel, *, now: datetime
) -> None:
    require_studio(session, studio_id)
    CustomersRepository(session, studio_id).require(customer_id, lock=True)
    if not PreferencesRepository(session, studio_id).lift_block(customer_id, channel):
        raise SuppressionNotFound(channel=channel.value)
    _preferences_updated(session, studio_id, customer_id, now=now)


def _preferences_updated(session: Session, studio_id: int, customer_id: int, *, now: datetime) -> None:
    # A block changes what GET answers, so partners hear of it as of any preference change.
    enqueue(
        session,
        studio_id=studio_id,
        now=now,
        entity_id=customer_id,
        event_type=EventType.CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED,
    )


def list_suppressions(session: Session, studio_id: int, customer_id: int) -> list[SuppressionRead]:
    require_studio(session, studio_id)
    CustomersRepository(session, studio_id).require(customer_id)
    rows = session.scalars(
        select(Suppression)
        .where(Suppression.studio_id == studio_id, Suppression.customer_id == customer_id)
        .order_by(Suppression.communication_channel)
    )
    return [
        SuppressionRead(
            communicationChannel=CommunicationChannel(row.communication_channel),
            reason=SuppressionReason(row.reason),
            createdAt=row.created_at,
        )
        for row in rows
    ]


router = APIRouter(
    prefix="/admin/v1/studios/{studioId}/customers/{customerId}/suppressions", tags=["Operator"]
)
Operator = Annotated[AdminContext, Depends(admin_context)]


@router.get("", response_model=list[SuppressionRead], responses=error_responses(400, 401, 404))
async def get_suppressions(studioId: StudioId, customerId: CustomerId, ctx: Operator) -> Response:
    return await ctx.run(lambda session: list_suppressions(session, studioId, customerId))


@router.put(
    "/{channel}",
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
    """Block the channel for the customer; answers the customer's blocks."""
    return await ctx.run(
        lambda session: set_suppression(
            session, studioId, customerId, channel, (body or SuppressionWrite()).reason, now=ctx.now
        )
    )


@router.delete("/{channel}", status_code=204, responses=error_responses(400, 401, 404))
async def delete_suppression(
    studioId: StudioId, customerId: CustomerId, channel: CommunicationChannel, ctx: Operator
) -> Response:
    def work(session: Session) -> Reply:
        lift_suppression(session, studioId, customerId, channel, now=ctx.now)
        return Reply(None, 204)

    return await ctx.run(work)
