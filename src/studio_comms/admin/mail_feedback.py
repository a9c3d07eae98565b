"""Operator API: bounces and complaints as the mail system received them (``/admin/v1/mail-feedback``).

The real path in: the MTA that receives mail for the bounce (Return-Path) and feedback-loop
addresses pipes each message to this endpoint, as is, with the operator token, e.g. a Postfix
``pipe`` transport running ``curl --fail -H "Authorization: Bearer …" -H "Content-Type:
message/rfc822" --data-binary @- https://…/admin/v1/mail-feedback`` (README, "Bounces").
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from studio_comms.api.context import AdminContext, admin_context
from studio_comms.bounces import service
from studio_comms.bounces.schemas import MailFeedbackResult, UnattributedFeedbackList
from studio_comms.core.openapi import INT64_MAX, error_responses
from studio_comms.db.tx import Tx

router = APIRouter(prefix="/admin/v1/mail-feedback", tags=["Operator"])
Operator = Annotated[AdminContext, Depends(admin_context)]
# The media types an MTA pipe may send a whole message as (core.middleware lets them through here).
RAW_MESSAGE_TYPES = ("message/rfc822", "text/plain", "application/octet-stream")


@router.post(
    "",
    response_model=MailFeedbackResult,
    responses=error_responses(400, 401, 404, 413, 415),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {media: {"schema": {"type": "string"}} for media in RAW_MESSAGE_TYPES},
        }
    },
)
async def post_mail_feedback(
    request: Request,
    ctx: Operator,
    studioId: Annotated[
        int | None,
        Query(
            ge=1,
            le=INT64_MAX,
            description="The studio this pipe serves: a report whose Message-ID names another is "
            "recorded as unattributed",
            json_schema_extra={"format": "int64"},
        ),
    ] = None,
) -> Response:
    """One raw message from the bounce or feedback-loop mailbox.

    A report acts only when it names a message this service sent (its Message-ID
    `<studio-comms.{studioId}.{messageId}@…>`, the studio's e-mail with that number and
    Message-ID) and that message's recipient (the member's address; `Original-Recipient` counts).
    Then a hard bounce — a DSN (RFC 3464) or a text bounce whose failure is permanent and
    address-level (`reason` USER_UNKNOWN, HOST_UNKNOWN, MAILBOX_DISABLED) — blocks EMAIL with
    `BOUNCED` for the studio's customers with that address (a spam verdict, the sender's own
    SPF/DKIM/DMARC failing, a delay warning: nothing; a failed delivery for a full mailbox, an expiry
    or a transient failure counts as a soft bounce, and the studio's `bounce-settings` limit reached,
    default 3 within 15 days, blocks EMAIL with `SOFT_BOUNCED`), and an ARF
    abuse report (RFC 5965) switches NEWSLETTER and LOYALTY_PROGRAM e-mail off and blocks EMAIL
    with `COMPLAINED`, each effective change a consent ledger entry (source
    `BOUNCE` or `COMPLAINT`). Any other report changes nothing and is recorded as unattributed
    (`unattributed` in the answer; `GET /admin/v1/mail-feedback/unattributed`). An auto-reply is
    answered `AUTO_REPLY`, other mail `NOT_A_REPORT`, both ignored; what cannot be read is 400
    `MAIL_FEEDBACK_MALFORMED`.
    """
    raw = await request.body()
    settings = ctx.runtime.settings
    return_paths = service.ReturnPaths(
        signer=request.app.state.link_signer.get(), required=settings.bounce_address is not None
    )

    def work(tx: Tx) -> MailFeedbackResult:
        return service.ingest(tx, raw, studio_id=studioId, now=ctx.now, return_paths=return_paths)

    return await ctx.run(work)


@router.get("/unattributed", response_model=UnattributedFeedbackList, responses=error_responses(400, 401))
async def list_unattributed_feedback(
    ctx: Operator,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many, newest first")] = 100,
    before: Annotated[
        int | None,
        Query(
            ge=1,
            le=INT64_MAX,
            description="Only rows older than this id (the next page)",
            json_schema_extra={"format": "int64"},
        ),
    ] = None,
) -> Response:
    """Reports that acted on nothing: no message of ours, or not its recipient (forged, another
    sender's, a redacted complaint). Newest first; page with `before` = the last `id` seen."""

    def work(tx: Tx) -> UnattributedFeedbackList:
        return service.unattributed(tx, before=before, limit=limit)

    return await ctx.run(work)
