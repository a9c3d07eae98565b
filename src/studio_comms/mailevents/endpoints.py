"""The relays' event webhooks: ``POST /mail-events/{postmark|mailgun|sendgrid}/{studioId}``.

JSON bodies, but outside ``/v1`` and ``/admin``: the provider authenticates with its own proof
(basic auth, HMAC, ECDSA), not an API key, and SendGrid's signature covers the raw bytes, so the
body is read here, bounded, and handed on untouched. Errors are ``ErrorResponse``: 400 for a body
that is not the provider's events, 401/403 for a missing or wrong proof, 404 for a studio without
this provider. Nothing is written before the proof is checked.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from studio_comms.core.openapi import StudioId
from studio_comms.core.runtime import Runtime
from studio_comms.mailevents import service
from studio_comms.mailevents.errors import MailEventMalformed, MailProviderNotConfigured
from studio_comms.mailevents.schemas import MailEventsResult, MailProvider

router = APIRouter(prefix="/mail-events", include_in_schema=False)
# SendGrid posts batches of events (up to about a thousand); Postmark and Mailgun one each.
MAX_EVENTS_BYTES = 2 * 1024 * 1024


async def _body(request: Request) -> bytes:
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media != "application/json":
        raise MailEventMalformed()
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_EVENTS_BYTES:
            raise MailEventMalformed()
    return body


@router.post("/{provider}/{studioId}")
async def provider_events(provider: str, studioId: StudioId, request: Request) -> JSONResponse:
    try:
        named = MailProvider(provider.upper()) if provider.islower() else None
    except ValueError:
        named = None
    if named is None:
        raise MailProviderNotConfigured()
    runtime: Runtime = request.app.state.runtime
    now = runtime.clock()
    body = await _body(request)
    headers = {name.lower(): value for name, value in request.headers.items()}

    def unit_of_work(*, on_loop: bool) -> MailEventsResult:
        with runtime.database.unit(write=True, on_loop=on_loop) as tx:
            return service.receive(tx, studioId, named, body, headers, now=now)

    result = await runtime.unit_of_work(request.scope, unit_of_work)
    return JSONResponse(result.model_dump())
