"""The official studio operations a partner's integration calls with its key (``/v1/studios``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from studio_comms.api.context import ApiContext, Reply, api_reader, api_writer
from studio_comms.apikeys.service import confirm_activation
from studio_comms.core.auth import Principal, Scope
from studio_comms.core.openapi import COMPATIBLE_ERRORS, error_responses
from studio_comms.db.tx import Tx
from studio_comms.studios import service
from studio_comms.studios.information_schemas import StudioInformation

router = APIRouter(prefix="/v1/studios", tags=["Studios"])


@router.get(
    "/information",
    operation_id="getStudioInformation",
    summary="Get studio general information",
    response_model=StudioInformation,
    responses=error_responses(*COMPATIBLE_ERRORS),
)
async def get_studio_information(
    ctx: Annotated[ApiContext, Depends(api_reader(Scope.STUDIO_READ))],
) -> Response:
    """Required Scopes: `STUDIO_READ`

    The general information of the studio the API key belongs to, as its operator set it.
    """
    return await ctx.run(lambda tx, principal: service.get_information(tx, principal.studio_id))


@router.post(
    "/confirmActivation",
    operation_id="confirmActivation",
    summary="Confirm contract activation",
    response_class=Response,
    responses={200: {"description": "OK"}, **error_responses(*COMPATIBLE_ERRORS, 413, 415)},
)
async def confirm_activation_of_key(
    ctx: Annotated[ApiContext, Depends(api_writer(None))],
) -> Response:
    """Any valid key (the official operation names no scope).

    Records that the integration behind the calling API key confirmed its activation, and when;
    the operator sees it on the key (`activationConfirmedAt`). Idempotent: calling again answers
    200 and keeps the first confirmation's time. Webhooks work with or without it.
    """

    def work(tx: Tx, principal: Principal) -> Reply:
        confirm_activation(tx, principal, now=ctx.now)
        return Reply(None, 200)

    return await ctx.run(work)
