"""Operator API for studios and their communication settings (``/admin/v1``).

The settings are the studio's offer, owned by ``preferences``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends
from fastapi.responses import Response

from studio_comms.admin.onboarding import create_studio_with_offer
from studio_comms.admin.studio_scope import in_studio
from studio_comms.api.context import AdminContext, Reply, admin_context
from studio_comms.core.openapi import StudioId, error_responses
from studio_comms.db.tx import Tx
from studio_comms.preferences import offer
from studio_comms.preferences.schemas import CommunicationPreference, OfferedCategory
from studio_comms.studios import service
from studio_comms.studios.information_schemas import StudioInformation, StudioInformationUpdate
from studio_comms.studios.schemas import StudioCreate, StudioRead, StudioUpdate

router = APIRouter(prefix="/admin/v1/studios", tags=["Operator"])
Operator = Annotated[AdminContext, Depends(admin_context)]


@router.post("", status_code=201, response_model=StudioRead, responses=error_responses(400, 401, 413, 415))
async def create_studio(body: StudioCreate, ctx: Operator) -> Response:
    """Create a studio with the default communication settings."""

    def work(tx: Tx) -> Reply:
        return Reply(create_studio_with_offer(tx, body, now=ctx.now), 201)

    return await ctx.run(work)


@router.get("/{studioId}", response_model=StudioRead, responses=error_responses(400, 401, 404))
async def get_studio(studioId: StudioId, ctx: Operator) -> Response:
    return await in_studio(ctx, studioId, lambda tx: service.get_studio(tx, studioId))


@router.patch("/{studioId}", response_model=StudioRead, responses=error_responses(400, 401, 404, 413, 415))
async def update_studio(studioId: StudioId, body: StudioUpdate, ctx: Operator) -> Response:
    """Change the fields given, e.g. `{"consentEnforcement": "REJECT"}` (a mode given here counts as
    chosen: later changes of the default no longer apply to the studio)."""
    return await in_studio(ctx, studioId, lambda tx: service.update_studio(tx, studioId, body))


@router.get(
    "/{studioId}/communication-settings",
    response_model=list[CommunicationPreference],
    responses=error_responses(400, 401, 404),
)
async def get_communication_settings(studioId: StudioId, ctx: Operator) -> Response:
    """The channels the studio offers per category, with default `active` and `customerOverridable`."""
    return await in_studio(ctx, studioId, lambda tx: offer.get_offer(tx, studioId))


@router.put(
    "/{studioId}/communication-settings",
    response_model=list[CommunicationPreference],
    responses=error_responses(400, 401, 404, 413, 415),
)
async def put_communication_settings(
    studioId: StudioId, body: Annotated[list[OfferedCategory], Body()], ctx: Operator
) -> Response:
    """Replace the whole offer: categories and channels left out are no longer offered.

    Customers' own choices are kept and apply again when a channel is offered again.
    """
    return await in_studio(ctx, studioId, lambda tx: offer.replace_offer(tx, studioId, body))


@router.get(
    "/{studioId}/information", response_model=StudioInformation, responses=error_responses(400, 401, 404)
)
async def get_studio_information(studioId: StudioId, ctx: Operator) -> Response:
    """What `GET /v1/studios/information` answers the studio's API keys."""
    return await in_studio(ctx, studioId, lambda tx: service.get_information(tx, studioId))


@router.put(
    "/{studioId}/information",
    response_model=StudioInformation,
    responses=error_responses(400, 401, 404, 413, 415),
)
async def put_studio_information(
    studioId: StudioId, body: StudioInformationUpdate, ctx: Operator
) -> Response:
    """Replace the studio's information (address, contact, opening hours, tags…): fields left out
    are cleared; `name`, when given, renames the studio."""
    return await in_studio(ctx, studioId, lambda tx: service.set_information(tx, studioId, body))
