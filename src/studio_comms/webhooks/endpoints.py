"""``/v1/webhooks``: a studio's own subscriptions, their delivery log, tests and replays (extension)."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from studio_comms.api.context import ApiContext, Reply, api_reader, api_writer
from studio_comms.core.auth import Principal, Scope
from studio_comms.core.openapi import DeliveryId, WebhookId, error_responses
from studio_comms.core.schemas import Slice
from studio_comms.core.slicing import DEFAULT_SLICE_SIZE, MAX_SLICE_SIZE, OFFSET_PATTERN
from studio_comms.db.tx import Tx
from studio_comms.webhooks import deliveries, service, urlsafety
from studio_comms.webhooks.errors import WebhookUrlNotAllowed
from studio_comms.webhooks.schemas import (
    DeliveryQueued,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
    WebhookSecrets,
    WebhookUpdate,
)

router = APIRouter(prefix="/v1/webhooks", tags=["Webhooks"])

Writer = Annotated[ApiContext, Depends(api_writer(Scope.WEBHOOKS_MANAGE))]
Reader = Annotated[ApiContext, Depends(api_reader(Scope.WEBHOOKS_MANAGE))]
_WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 415, 429, 500)
_READ_ERRORS = (400, 401, 403, 404, 429, 500)


async def _check_url(ctx: ApiContext, url: str) -> None:
    """Before the transaction (resolving a host name can take seconds), after the key and scope
    are checked (nobody without the scope makes us look names up)."""
    await ctx.authorize()
    allow_private = ctx.runtime.settings.webhook_allow_private_networks
    try:
        await anyio.to_thread.run_sync(lambda: urlsafety.check(url, allow_private=allow_private))
    except urlsafety.UnsafeUrl as error:
        raise WebhookUrlNotAllowed(reference="url", detail=str(error)) from None


@router.post("", status_code=201, response_model=WebhookCreated, responses=error_responses(*_WRITE_ERRORS))
async def create_webhook(body: WebhookCreate, ctx: Writer) -> Response:
    """Required Scopes: `WEBHOOKS_MANAGE`.

    Subscribes `url` to `eventTypes` (default: all). Deliveries are `POST`s of the Sport Alliance
    envelope `{entityId, uuid, payload: [{timestamp, type, content}]}` with `x-api-key: apiKey` and
    Standard Webhooks headers (`webhook-id` = uuid, `webhook-timestamp`, `webhook-signature`
    signed with `signingSecret`). `apiKey` and `signingSecret` are shown in this response only.
    The URL must be https and resolve to public addresses only.
    """
    await _check_url(ctx, body.url)

    def work(tx: Tx, principal: Principal) -> Reply:
        return Reply(service.create(tx, principal.studio_id, body, now=ctx.now), 201)

    return await ctx.run(work)


@router.get("", response_model=list[WebhookRead], responses=error_responses(*_READ_ERRORS))
async def list_webhooks(ctx: Reader) -> Response:
    """Required Scopes: `WEBHOOKS_MANAGE`. The studio's subscriptions, without credentials."""
    return await ctx.run(lambda tx, principal: service.list_all(tx, principal.studio_id))


@router.get("/{webhookId}", response_model=WebhookRead, responses=error_responses(*_READ_ERRORS))
async def get_webhook(webhookId: WebhookId, ctx: Reader) -> Response:
    """Required Scopes: `WEBHOOKS_MANAGE`."""
    return await ctx.run(lambda tx, principal: service.get(tx, principal.studio_id, webhookId))


@router.patch("/{webhookId}", response_model=WebhookRead, responses=error_responses(*_WRITE_ERRORS))
async def update_webhook(webhookId: WebhookId, body: WebhookUpdate, ctx: Writer) -> Response:
    """Required Scopes: `WEBHOOKS_MANAGE`.

    Changes the fields sent. `status: ACTIVE` resumes a subscription that was disabled after its
    deliveries failed for the whole failure window.
    """
    if body.url is not None:
        await _check_url(ctx, body.url)
    return await ctx.run(
        lambda tx, principal: service.update(tx, principal.studio_id, webhookId, body, now=ctx.now)
    )


@router.delete("/{webhookId}", status_code=204, responses=error_responses(*_WRITE_ERRORS))
async def delete_webhook(webhookId: WebhookId, ctx: Writer) -> Response:
    """Required Scopes: `WEBHOOKS_MANAGE`. Nothing more is sent; queued deliveries are cancelled."""

    def work(tx: Tx, principal: Principal) -> Reply:
        service.delete(tx, principal.studio_id, webhookId, now=ctx.now)
        return Reply(None, 204)

    return await ctx.run(work)


@router.post(
    "/{webhookId}/rotate-secrets", response_model=WebhookSecrets, responses=error_responses(*_WRITE_ERRORS)
)
async def rotate_webhook_secrets(webhookId: WebhookId, ctx: Writer) -> Response:
    """Required Scopes: `WEBHOOKS_MANAGE`. New `apiKey` and `signingSecret`, shown here only."""
    return await ctx.run(lambda tx, principal: service.rotate_secrets(tx, principal.studio_id, webhookId))


@router.post(
    "/{webhookId}/test",
    status_code=202,
    response_model=DeliveryQueued,
    responses=error_responses(*_WRITE_ERRORS),
)
async def test_webhook(webhookId: WebhookId, ctx: Writer) -> Response:
    """Required Scopes: `WEBHOOKS_MANAGE`. Queues a `PING` event (entityId = webhookId) to this endpoint."""

    def work(tx: Tx, principal: Principal) -> Reply:
        return Reply(deliveries.ping(tx, principal.studio_id, webhookId, now=ctx.now), 202)

    return await ctx.run(work)


@router.get(
    "/{webhookId}/deliveries", response_model=Slice[DeliveryRead], responses=error_responses(*_READ_ERRORS)
)
async def list_webhook_deliveries(
    webhookId: WebhookId,
    ctx: Reader,
    offset: Annotated[
        str | None, Query(max_length=19, pattern=OFFSET_PATTERN, description="From the previous slice")
    ] = None,
    sliceSize: Annotated[int, Query(ge=1, le=MAX_SLICE_SIZE)] = DEFAULT_SLICE_SIZE,
) -> Response:
    """Required Scopes: `WEBHOOKS_MANAGE`. Newest first, each with its attempts."""
    return await ctx.run(
        lambda tx, principal: deliveries.list_deliveries(
            tx, principal.studio_id, webhookId, offset=offset, slice_size=sliceSize
        )
    )


@router.post(
    "/{webhookId}/deliveries/{deliveryId}/retry",
    status_code=202,
    response_model=DeliveryQueued,
    responses=error_responses(*_WRITE_ERRORS),
)
async def retry_webhook_delivery(webhookId: WebhookId, deliveryId: DeliveryId, ctx: Writer) -> Response:
    """Required Scopes: `WEBHOOKS_MANAGE`.

    Sends a finished delivery (succeeded, dead or cancelled) again, with the same event uuid.
    A delivery still pending is 409 `DELIVERY_PENDING`.
    """

    def work(tx: Tx, principal: Principal) -> Reply:
        return Reply(deliveries.retry(tx, principal.studio_id, webhookId, deliveryId, now=ctx.now), 202)

    return await ctx.run(work)
