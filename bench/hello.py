"""The framework ceiling of ``make bench``: a bare FastAPI app with one route answering the same
constant body as our ``GET /bench/ceiling``. Ours ÷ this is what our app's own request handling
(middleware, exception handlers, a bigger router) adds to FastAPI's (issue 12: ≤ 1.1×).
"""

from __future__ import annotations

from bare_asgi import BODY
from fastapi import FastAPI
from fastapi.responses import Response

app = FastAPI()


@app.get("/bench/ceiling")
async def hello() -> Response:
    return Response(BODY, media_type="application/json")
