"""Operator API for a studio's SMS provider account (``/admin/v1/studios/{studioId}/sms-provider``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from studio_comms.admin.studio_scope import in_studio
from studio_comms.api.context import AdminContext, Reply, admin_context
from studio_comms.core.openapi import StudioId, error_responses
from studio_comms.db.tx import Tx
from studio_comms.sms import service
from studio_comms.sms.schemas import SmsProviderRead, SmsProviderWrite

router = APIRouter(prefix="/admin/v1/studios/{studioId}/sms-provider", tags=["Operator"])
Operator = Annotated[AdminContext, Depends(admin_context)]


def _base_url(ctx: AdminContext) -> str:
    return ctx.runtime.settings.public_base_url


@router.put("", response_model=SmsProviderRead, responses=error_responses(400, 401, 404, 413, 415))
async def put_sms_provider(studioId: StudioId, body: SmsProviderWrite, ctx: Operator) -> Response:
    """Set the studio's Twilio account (replacing any before). The auth token is write-only:
    answers never show it. Configure the two URLs of the answer at Twilio."""

    def work(tx: Tx) -> SmsProviderRead:
        return service.put_account(tx, studioId, body, base_url=_base_url(ctx), now=ctx.now)

    return await in_studio(ctx, studioId, work)


@router.get("", response_model=SmsProviderRead, responses=error_responses(400, 401, 404))
async def get_sms_provider(studioId: StudioId, ctx: Operator) -> Response:
    """The account without its auth token; 404 `SMS_PROVIDER_NOT_CONFIGURED` when none is set."""
    return await in_studio(
        ctx, studioId, lambda tx: service.get_account(tx, studioId, base_url=_base_url(ctx))
    )


@router.delete("", status_code=204, responses=error_responses(400, 401, 404))
async def delete_sms_provider(studioId: StudioId, ctx: Operator) -> Response:
    """Forget the account: nothing more is sent, and its callbacks are refused (404)."""

    def work(tx: Tx) -> Reply:
        service.delete_account(tx, studioId)
        return Reply(None, 204)

    return await in_studio(ctx, studioId, work)
