"""Operator API for a studio's delivery settings: From address, quiet hours, and whether GENERAL
mail is marketing (``/admin/v1``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from studio_comms.admin.studio_scope import in_studio
from studio_comms.api.context import AdminContext, admin_context
from studio_comms.core.openapi import StudioId, error_responses
from studio_comms.messages import studio_settings
from studio_comms.messages.schemas import MessageSettingsRead, MessageSettingsWrite

router = APIRouter(prefix="/admin/v1/studios", tags=["Operator"])
Operator = Annotated[AdminContext, Depends(admin_context)]


@router.get(
    "/{studioId}/message-settings",
    response_model=MessageSettingsRead,
    responses=error_responses(400, 401, 404),
)
async def get_message_settings(studioId: StudioId, ctx: Operator) -> Response:
    """The From address, quiet hours and `generalIsMarketing` in effect for the studio's messages."""
    default_from = ctx.runtime.settings.email_from
    return await in_studio(
        ctx, studioId, lambda tx: studio_settings.get_settings(tx, studioId, default_from=default_from)
    )


@router.put(
    "/{studioId}/message-settings",
    response_model=MessageSettingsRead,
    responses=error_responses(400, 401, 404, 413, 415),
)
async def put_message_settings(studioId: StudioId, body: MessageSettingsWrite, ctx: Operator) -> Response:
    """Replace the studio's From address, quiet hours and `generalIsMarketing`. Quiet hours are
    local times in the studio's zone, per category; a message due inside them is DEFERRED and sent
    when they end. CONTRACT and APPOINTMENT cannot have quiet hours (400 `QUIET_HOURS_NOT_ALLOWED`).
    `generalIsMarketing` (default true): whether a GENERAL send that does not say `marketing` is
    marketing mail, whose e-mail carries the one-click unsubscribe headers (RFC 8058); messages
    already accepted keep the flag they were accepted with."""
    default_from = ctx.runtime.settings.email_from
    return await in_studio(
        ctx,
        studioId,
        lambda tx: studio_settings.put_settings(tx, studioId, body, default_from=default_from, now=ctx.now),
    )
