"""Routes for operations: liveness, readiness, the HEAD key check, OPTIONS and the benchmark ceiling."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope

from studio_comms.api.context import ApiContext, Reply, api_reader
from studio_comms.core.auth import Principal
from studio_comms.core.errors import RouteNotFound, ServiceUnavailable
from studio_comms.core.methods import allow_header
from studio_comms.core.runtime import Runtime
from studio_comms.core.units import Runs, runs
from studio_comms.db.tx import Tx


class OwnMethodOnlyRoute(APIRoute):
    """A catch-all path that matches its own methods only: for any other method it must not
    turn a 404 into a 405."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope.get("method") not in (self.methods or ()):
            return Match.NONE, {}
        return super().matches(scope)


router = APIRouter(include_in_schema=False)
head_router = APIRouter(include_in_schema=False, route_class=OwnMethodOnlyRoute)
_OK = b'{"status":"ok"}'


@router.get("/healthz")
async def healthz() -> Response:
    return Response(_OK, media_type="application/json")


@router.get("/readyz")
async def readyz(request: Request, verbose: str | None = None) -> Response:
    """200 while the database answers; ``?verbose`` adds the details (the outbox's lag)."""
    runtime: Runtime = request.app.state.runtime

    def check() -> dict[str, Any]:
        runtime.database.ping()
        if verbose is None:
            return {}
        now = runtime.clock()
        with runtime.database.read() as tx:
            return {name: detail(tx, now) for name, detail in runtime.readiness_details.items()}

    try:
        details = await runtime.in_db_thread(check)
    except Exception as error:
        raise ServiceUnavailable() from error
    if not details:
        return Response(_OK, media_type="application/json")
    return Response(orjson.dumps({"status": "ok", **details}), media_type="application/json")


@head_router.head("/v1/{path:path}")
@runs(Runs.LOOP)
async def head_checks_key(path: str, ctx: Annotated[ApiContext, Depends(api_reader(None))]) -> Response:
    """Sport Alliance: HEAD on any path only validates the key (200 or 401)."""

    def work(_tx: Tx, _principal: Principal) -> Reply:
        return Reply(None, 200)

    return await ctx.run_read(work)


@head_router.options("/{path:path}")
async def options(path: str, request: Request) -> Response:
    """What the path allows (no key needed: it names methods, not data); 404 for no endpoint."""
    allow = allow_header(request.app.router.routes, request.scope)
    if not allow:
        raise RouteNotFound(path=request.url.path)
    return Response(status_code=204, headers={"Allow": allow})


bench_router = APIRouter(include_in_schema=False)
_CEILING = b'[{"messageCategory":"GENERAL","channels":[{"communicationChannel":"EMAIL","active":true}]}]'


@bench_router.get("/bench/ceiling")
async def framework_ceiling() -> Response:
    """The same app doing no work: what `make bench` divides by."""
    return Response(_CEILING, media_type="application/json")
