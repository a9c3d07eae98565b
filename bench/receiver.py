"""The webhook receiver of ``make bench``: a bare ASGI app on loopback that answers 200 to every
POST and notes when each arrived (``time.monotonic()``: CLOCK_MONOTONIC, the same clock in every
process of the machine, so the bench compares it with its own). ``GET /stats`` answers
``{"count", "first", "last"}`` over the POSTs since the last ``DELETE /stats``.
"""

from __future__ import annotations

import json
import time
from typing import Any

_OK = {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]}
_EMPTY = {"type": "http.response.body", "body": b""}
arrivals: list[float] = []


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    more = True
    while more:  # read the whole body before answering, as a real receiver does
        more = (await receive()).get("more_body", False)
    if scope["method"] == "POST":
        arrivals.append(time.monotonic())
    elif scope["method"] == "DELETE":
        arrivals.clear()
    elif scope["path"] == "/stats":
        body = json.dumps(
            {
                "count": len(arrivals),
                "first": min(arrivals, default=None),
                "last": max(arrivals, default=None),
            }
        ).encode()
        start = {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
        await send(start)
        await send({"type": "http.response.body", "body": body})
        return
    await send(_OK)
    await send(_EMPTY)
