"""Operator API for members' SMS replies that an operator decides
(``/admin/v1/studios/{studioId}/sms/replies``).

A reply that clearly revokes ("STOP", "opt out", "please don't text me anymore") is applied when
it comes; one that only names a keyword word ("I'll stop by tomorrow") is listed here, PENDING,
until an operator applies it as a revocation or dismisses it (README, "Members' replies").
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from studio_comms.admin.studio_scope import in_studio
from studio_comms.api.context import AdminContext, admin_context
from studio_comms.core.audit import ChangeSource, audit_of
from studio_comms.core.openapi import SmsReplyId, StudioId, error_responses
from studio_comms.core.schemas import Slice
from studio_comms.core.slicing import DEFAULT_SLICE_SIZE, MAX_SLICE_SIZE, OffsetQuery
from studio_comms.db.tx import Tx
from studio_comms.sms import replies
from studio_comms.sms.schemas import SmsReplyRead, SmsReplyState

router = APIRouter(prefix="/admin/v1/studios/{studioId}/sms/replies", tags=["Operator"])
Operator = Annotated[AdminContext, Depends(admin_context)]
OPERATOR = "operator"


@router.get("", response_model=Slice[SmsReplyRead], responses=error_responses(400, 401, 404))
async def list_sms_replies(
    studioId: StudioId,
    ctx: Operator,
    state: Annotated[
        SmsReplyState, Query(description="Which replies: PENDING (the default), APPLIED, DISMISSED")
    ] = (SmsReplyState.PENDING),
    offset: OffsetQuery = None,
    sliceSize: Annotated[int, Query(ge=1, le=MAX_SLICE_SIZE)] = DEFAULT_SLICE_SIZE,
) -> Response:
    """Members' replies in ``state``, newest first, in slices: those PENDING wait for a decision.

    Each names the words that made it worth a look (`words`), the member's text and the customers
    with the sender's number when it came."""
    return await in_studio(
        ctx,
        studioId,
        lambda tx: replies.list_replies(tx, studioId, state, offset=offset, slice_size=sliceSize),
    )


@router.post("/{replyId}/apply", response_model=SmsReplyRead, responses=error_responses(400, 401, 404, 409))
async def apply_sms_reply(studioId: StudioId, replyId: SmsReplyId, ctx: Operator) -> Response:
    """Apply the reply as a revocation: TEXT_MESSAGE is blocked for each of its customers as a
    STOP blocks it (reason `SMS_STOP`, lifted by the member's START), each change a consent
    ledger entry (source `OPERATOR`) quoting the member's text in `details`.

    Applying an applied reply again answers it unchanged and writes nothing; applying a
    dismissed one is refused (409 `SMS_REPLY_DECIDED`). 404 `SMS_REPLY_NOT_FOUND` for a reply
    the studio does not have."""
    audit = audit_of(ctx.request, source=ChangeSource.OPERATOR, actor=OPERATOR, request_id=ctx.request_id)

    def work(tx: Tx) -> SmsReplyRead:
        return replies.apply_reply(tx, studioId, replyId, audit=audit, now=ctx.now)

    return await in_studio(ctx, studioId, work)


@router.post("/{replyId}/dismiss", response_model=SmsReplyRead, responses=error_responses(400, 401, 404, 409))
async def dismiss_sms_reply(studioId: StudioId, replyId: SmsReplyId, ctx: Operator) -> Response:
    """Dismiss the reply: the member's consent stays as it is. Dismissing again answers it
    unchanged; dismissing an applied one is refused (409 `SMS_REPLY_DECIDED`)."""

    def work(tx: Tx) -> SmsReplyRead:
        return replies.dismiss_reply(tx, studioId, replyId, actor=OPERATOR, now=ctx.now)

    return await in_studio(ctx, studioId, work)
