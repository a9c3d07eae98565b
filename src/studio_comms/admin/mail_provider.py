"""Operator API for the mail relay a studio sends through (``/admin/v1/studios/{studioId}/mail-provider``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from studio_comms.admin.studio_scope import in_studio
from studio_comms.api.context import AdminContext, Reply, admin_context
from studio_comms.core.openapi import StudioId, error_responses
from studio_comms.db.tx import Tx
from studio_comms.mailevents import service
from studio_comms.mailevents.schemas import MailProviderRead, MailProviderWrite

router = APIRouter(prefix="/admin/v1/studios/{studioId}/mail-provider", tags=["Operator"])
Operator = Annotated[AdminContext, Depends(admin_context)]


def _base_url(ctx: AdminContext) -> str:
    return ctx.runtime.settings.public_base_url


@router.put("", response_model=MailProviderRead, responses=error_responses(400, 401, 404, 413, 415))
async def put_mail_provider(studioId: StudioId, body: MailProviderWrite, ctx: Operator) -> Response:
    """Set the relay whose event webhooks the studio receives (replacing any before). Its secret
    (Postmark's password, Mailgun's signing key, SendGrid's verification key) is write-only.
    Configure the answer's `eventsUrl` at the provider."""

    def work(tx: Tx) -> MailProviderRead:
        return service.put_provider(tx, studioId, body, base_url=_base_url(ctx), now=ctx.now)

    return await in_studio(ctx, studioId, work)


@router.get("", response_model=MailProviderRead, responses=error_responses(400, 401, 404))
async def get_mail_provider(studioId: StudioId, ctx: Operator) -> Response:
    """The relay without its secret; 404 `MAIL_PROVIDER_NOT_CONFIGURED` when none is set."""
    return await in_studio(
        ctx, studioId, lambda tx: service.get_provider(tx, studioId, base_url=_base_url(ctx))
    )


@router.delete("", status_code=204, responses=error_responses(400, 401, 404))
async def delete_mail_provider(studioId: StudioId, ctx: Operator) -> Response:
    """Forget the relay: its event webhooks are refused (404) from now on."""

    def work(tx: Tx) -> Reply:
        service.delete_provider(tx, studioId)
        return Reply(None, 204)

    return await in_studio(ctx, studioId, work)
