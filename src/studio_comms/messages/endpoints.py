"""The send API (extensions): one message, bulk, a message's status history, a batch's progress."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from studio_comms.api.context import ApiContext, Reply, api_reader, api_writer
from studio_comms.core.auth import Principal, Scope
from studio_comms.core.openapi import BatchId, CustomerId, MessageId, error_responses
from studio_comms.db.tx import Tx
from studio_comms.messages import bulk, service
from studio_comms.messages.schemas import (
    BatchRead,
    BulkAccepted,
    BulkMessageCreate,
    MessageAccepted,
    MessageCreate,
    MessageRead,
)

router = APIRouter(tags=["Messages"])
Writer = Annotated[ApiContext, Depends(api_writer(Scope.COMMUNICATION_WRITE))]
Reader = Annotated[ApiContext, Depends(api_reader(Scope.COMMUNICATION_READ))]

_PLACEHOLDERS = """
Placeholders, not a template language: in `subject`, `content` and `html`, `{{ firstName }}`,
`{{ lastName }}` and `{{ studioName }}` (spaces inside the braces optional) are replaced by the
customer's and the studio's values, inserted as they are (in `html` HTML-escaped); nothing is
evaluated. `{{` may only open one of them, and `{%` and `{#` are refused: anything else there is
400 `TEMPLATE_INVALID` with `reference` naming the field (a typo is caught, not sent). Other braces
are plain text.
"""

_MARKETING = """
Marketing mail: `marketing` (GENERAL only; absent: the studio's `generalIsMarketing`, default true;
NEWSLETTER and LOYALTY_PROGRAM always, CONTRACT and APPOINTMENT never) is decided when the send is
accepted and stored on the message (`GET /v1/messages/{messageId}` shows it). Each marketing e-mail
carries `List-Unsubscribe: <{public url}/unsubscribe/…>`, a one-click link for the member and the
message's category on EMAIL, and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058, as
Gmail's and Yahoo's bulk-sender rules require), both DKIM-signed; other mail carries neither. A
`marketing` against the category (`true` for CONTRACT or APPOINTMENT, `false` for NEWSLETTER or
LOYALTY_PROGRAM) is 400 `MARKETING_FLAG_NOT_ALLOWED`, nothing stored or queued.
"""

_LIFECYCLE = """
Status lifecycle: `QUEUED` → `SENT` → `DELIVERED` / `BOUNCED` / `FAILED`; `SUPPRESSED` when the
check just before sending refuses it (a preference switched off, a suppression, an erasure after
acceptance), with the receipt of that decision; `DEFERRED` while the studio's quiet hours for the
category last (it goes out after them). Each change after acceptance is a `MESSAGE_STATUS_CHANGED`
webhook event and a `deliveryEvents` entry of its communication in the thread timeline. Delivery is
at least once: a worker that dies after the server accepted a message but before recording it
sends it again with the same `Message-ID`.
"""


@router.post(
    "/v1/communications/{customerId}/messages",
    operation_id="sendMessage",
    summary="Send a message to a customer (extension)",
    status_code=202,
    response_model=MessageAccepted,
    responses=error_responses(400, 401, 403, 404, 409, 413, 415, 429, 500),
    description="""Required Scopes: `COMMUNICATION_WRITE`.

    Queues an EMAIL or TEXT_MESSAGE for studio-comms to send and records it as an OUTGOING
    communication in the given thread or a new one. Sending always enforces the customer's
    preferences, whatever the studio's recording mode: a message they do not permit is refused
    with 409 `COMMUNICATION_NOT_PERMITTED` and nothing is stored or queued. A customer without an
    e-mail address (phone number) is 409 `CUSTOMER_HAS_NO_ADDRESS`.
    """
    + _PLACEHOLDERS
    + """
    The message and its communication hold the text as filled in for the customer. A field over its
    limit once filled in (subject 255, content 100,000 or 1,600 for TEXT_MESSAGE, html 500,000
    characters) is 400 `RENDERED_TOO_LONG`, nothing stored or queued.
    """
    + _MARKETING
    + _LIFECYCLE,
)
async def send_message(customerId: CustomerId, body: MessageCreate, ctx: Writer) -> Response:
    request_id = ctx.idempotency_key or ctx.request_id

    def work(tx: Tx, principal: Principal) -> Reply:
        accepted = service.accept_message(
            tx, principal.studio_id, customerId, body, request_id=request_id, now=ctx.now
        )
        return Reply(accepted, 202)

    return await ctx.run(work)


@router.post(
    "/v1/messages",
    operation_id="sendBulkMessages",
    summary="Send one message to many customers (extension)",
    status_code=202,
    response_model=BulkAccepted,
    responses=error_responses(400, 401, 403, 409, 413, 415, 429, 500),
    description="""Required Scopes: `COMMUNICATION_WRITE`.

    Up to 10,000 customers. Each customer is checked like a single message and its placeholders
    are filled in exactly as a single message's are: the ones refused are listed with the rule that
    refused them (or `CUSTOMER_NOT_FOUND`, `NO_ADDRESS`, or `RENDERED_TOO_LONG` when a field is
    over its limit with that customer's values: subject 255, content 100,000 or 1,600 for
    TEXT_MESSAGE, html 500,000 characters), the others are queued. A field over its limit
    whatever the customer is 400 `RENDERED_TOO_LONG`. A bulk message is recorded in its customer's
    timeline when the worker takes it up.
    """
    + _PLACEHOLDERS
    + _MARKETING
    + _LIFECYCLE,
)
async def send_bulk(body: BulkMessageCreate, ctx: Writer) -> Response:
    def work(tx: Tx, principal: Principal) -> Reply:
        return Reply(bulk.accept_bulk(tx, principal.studio_id, body, now=ctx.now), 202)

    return await ctx.run(work)


@router.get(
    "/v1/messages/batches/{batchId}",
    operation_id="getMessageBatch",
    summary="Progress of a bulk request (extension)",
    response_model=BatchRead,
    responses=error_responses(400, 401, 403, 404, 429, 500),
)
async def get_batch(batchId: BatchId, ctx: Reader) -> Response:
    """Required Scopes: `COMMUNICATION_READ`. Its messages counted by their current status."""
    return await ctx.run(lambda tx, principal: bulk.get_batch(tx, principal.studio_id, batchId))


@router.get(
    "/v1/messages/{messageId}",
    operation_id="getMessage",
    summary="A message with its status history (extension)",
    response_model=MessageRead,
    responses=error_responses(400, 401, 403, 404, 429, 500),
)
async def get_message(messageId: MessageId, ctx: Reader) -> Response:
    """Required Scopes: `COMMUNICATION_READ`. Every status it went through, oldest first, each with
    the decision taken at that point (acceptance, the re-check before sending)."""
    return await ctx.run(lambda tx, principal: service.get_message(tx, principal.studio_id, messageId))
