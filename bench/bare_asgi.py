"""The transport ceiling: a bare ASGI app, no framework, answering every request with the same
constant JSON body as the service's ``GET /bench/ceiling``.

Run by ``bench/run.py`` under uvicorn with the same settings as the service (one process, no access
log), so ``service req/s / this req/s`` is the share of the HTTP server's capacity the service keeps.
"""

from __future__ import annotations

from typing import Any

# Must stay byte-identical to studio_comms.api.ops._CEILING; bench/run.py checks it before measuring.
BODY = b'[{"messageCategory":"GENERAL","channels":[{"communicationChannel":"EMAIL","active":true}]}]'
_START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())],
}
_BODY = {"type": "http.response.body", "body": BODY}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    await send(_START)
    await send(_BODY)
