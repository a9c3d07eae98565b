"""Twilio's webhooks: delivery status callbacks and incoming messages, one URL pair per studio.

Each request must carry Twilio's signature for the URL configured at Twilio: our public URL
(``STUDIO_COMMS_PUBLIC_URL``) and the path, whatever host or port a proxy forwarded it to. The
body is a form, not JSON, so these routes live outside ``/v1`` and ``/admin`` (whose guard wants
JSON) and read the body themselves, bounded. Errors are ``ErrorResponse`` like everywhere else:
400 for a body that is not a callback, 403 for a bad signature, 404 for a studio without an
account. Nothing is written before the signature is checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from starlette.responses import Response

from studio_comms.core.openapi import StudioId
from studio_comms.core.runtime import Runtime
from studio_comms.db.tx import Tx
from studio_comms.sms import answers, callbacks
from studio_comms.sms.errors import CallbackMalformed
from studio_comms.sms.service import Params, verified

router = APIRouter(prefix="/sms/twilio", include_in_schema=False)
# Twilio's callbacks are a few hundred bytes; an incoming message at most 1,600 characters.
MAX_CALLBACK_BYTES = 64 * 1024
MAX_FIELDS = 200
T = TypeVar("T")


async def _form(request: Request) -> Params:
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise CallbackMalformed()
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_CALLBACK_BYTES:
            raise CallbackMalformed()
    try:
        params = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body), max_num_fields=MAX_FIELDS
        )
    except ValueError:  # also UnicodeDecodeError
        raise CallbackMalformed() from None
    # PostgreSQL text cannot hold NUL and SQLite's can: refused here, both databases answer alike
    # (Twilio never sends one; a request with one is not Twilio's).
    for name, value in params:
        if "\x00" in name or "\x00" in value:
            raise CallbackMalformed(reference=name.replace("\x00", ""))
    return params


def _signed_url(request: Request, runtime: Runtime) -> str:
    query = request.url.query
    return runtime.settings.public_base_url + request.url.path + (f"?{query}" if query else "")


async def _verified(request: Request, studio_id: int, work: Callable[[Tx, Params], T]) -> T:
    runtime: Runtime = request.app.state.runtime
    params = await _form(request)
    url = _signed_url(request, runtime)
    given = request.headers.get("x-twilio-signature")

    def unit_of_work(*, on_loop: bool) -> T:
        with runtime.database.unit(write=True, on_loop=on_loop) as tx:
            verified(tx, studio_id, url, params, given)
            return work(tx, params)

    return await runtime.unit_of_work(request.scope, unit_of_work)


@router.post("/{studioId}/status")
async def status_callback(studioId: StudioId, request: Request) -> Response:
    now = request.app.state.runtime.clock()
    await _verified(
        request, studioId, lambda tx, params: callbacks.record_status(tx, studioId, params, now=now)
    )
    return Response(status_code=204)


@router.post("/{studioId}/inbound")
async def inbound_message(studioId: StudioId, request: Request) -> Response:
    now = request.app.state.runtime.clock()
    reply = await _verified(
        request, studioId, lambda tx, params: callbacks.receive_reply(tx, studioId, params, now=now)
    )
    # HELP is answered with the studio's contact. STOP, START and the rest get no answer of ours:
    # Twilio's opt-out handling confirms STOP and START itself where it runs (a text after a STOP
    # would be refused by Twilio anyway, error 21610).
    return Response(answers.twiml(reply.answer), media_type="text/xml")
