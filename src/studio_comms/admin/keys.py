"""Operator API for a studio's API keys (``/admin/v1``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from studio_comms.admin.studio_scope import in_studio
from studio_comms.api.context import AdminContext, Reply, admin_context
from studio_comms.apikeys import service
from studio_comms.apikeys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from studio_comms.core.openapi import KeyId, StudioId, error_responses
from studio_comms.db.tx import Tx

router = APIRouter(prefix="/admin/v1/studios/{studioId}/api-keys", tags=["Operator"])
Operator = Annotated[AdminContext, Depends(admin_context)]


@router.post(
    "", status_code=201, response_model=ApiKeyCreated, responses=error_responses(400, 401, 404, 413, 415)
)
async def create_api_key(studioId: StudioId, body: ApiKeyCreate, ctx: Operator) -> Response:
    """Create a key. `apiKey` is in this response only: it is stored as a hash."""

    def work(tx: Tx) -> Reply:
        return Reply(service.create_key(tx, studioId, body, now=ctx.now), 201)

    return await in_studio(ctx, studioId, work)


@router.get("", response_model=list[ApiKeyRead], responses=error_responses(400, 401, 404))
async def list_api_keys(studioId: StudioId, ctx: Operator) -> Response:
    """The studio's keys, revoked ones included, without secrets."""
    return await in_studio(ctx, studioId, lambda tx: service.list_keys(tx, studioId))


@router.delete("/{keyId}", status_code=204, responses=error_responses(400, 401, 404))
async def revoke_api_key(studioId: StudioId, keyId: KeyId, ctx: Operator) -> Response:
    """Revoke the key: the next request with it is answered 401."""

    def work(tx: Tx) -> Reply:
        service.revoke_key(tx, studioId, keyId, now=ctx.now)
        return Reply(None, 204)

    return await in_studio(ctx, studioId, work)
