"""Operator API for a studio's delivery settings: From address, quiet hours, and whether GENERAL
mail is marketing (``/admin/v1``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from studio_comms.admin.studio_scope import in_studio
from studio_comms.api.context import AdminContext, admin_context
from studio_comms.core.openapi import StudioId, error_responses
from studio_comms.messages import soft_bounces, studio_settings
from studio_comms.messages.schemas import BounceSettings, MessageSettingsRead, MessageSettingsWrite

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


@router.get(
    "/{studioId}/bounce-settings", response_model=BounceSettings, responses=error_responses(400, 401, 404)
)
async def get_bounce_settings(studioId: StudioId, ctx: Operator) -> Response:
    """How many soft bounces (full mailbox, expired, transient failure at the recipient) within how
    many days suppress a member's EMAIL with `SOFT_BOUNCED` (defaults: 3 in 15 days)."""
    return await in_studio(ctx, studioId, lambda tx: soft_bounces.get_settings(tx, studioId))


@router.put(
    "/{studioId}/bounce-settings",
    response_model=BounceSettings,
    responses=error_responses(400, 401, 404, 413, 415),
)
async def put_bounce_settings(studioId: StudioId, body: BounceSettings, ctx: Operator) -> Response:
    """Replace the studio's soft-bounce limit: `softBounceLimit` (1-100) soft bounces within
    `softBounceDays` (1-365) suppress a member's EMAIL with `SOFT_BOUNCED` (absent fields: 3 and 15).
    Counted per member, one per message; sender-side failures (SPF/DKIM/DMARC, a blocklisted IP, rate
    limits), content or size refusals and auto-replies never count. The suppression is lifted by an
    operator (`DELETE …/suppressions/EMAIL`) or by the member switching an EMAIL slot on again; after
    a lift, counting starts from zero. Applies from the next soft bounce."""
    return await in_studio(
        ctx, studioId, lambda tx: soft_bounces.put_settings(tx, studioId, body, now=ctx.now)
    )
