"""The hot ``/v1`` routes, served without FastAPI's per-request machinery.

Under load FastAPI's general machinery for a request (exception middleware, router, request
wrapper, dependency graph) cost more CPU than our whole GET (py-spy and callgrind,
docs/benchmarks.md). Our ``/v1`` routes have one simple shape: path ids, optional headers, at most
one JSON body, and one dependency that makes the request's context. A :class:`HotRoute` checks at
start-up that it has that shape (its *plan*); :class:`HotPaths` then routes such a request as the
router would, validates each value with FastAPI's own field (the same validators, so the same
values pass) and calls the endpoint. Anything else — a value that does not validate, a header the
plan does not read, a dependency that declines — goes on to FastAPI, which answers exactly as
before (the error included). The OpenAPI document is FastAPI's, from the same declarations.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from studio_comms.core.middleware import replay_body

# A dependency's fast form: the value it would give, or None to let FastAPI resolve it.
FAST_CONTEXT = "fast_context"
FastContext = Callable[[Request], Any]


@dataclass(frozen=True, slots=True)
class _Param:
    name: str
    alias: str
    field: Any  # FastAPI's ModelField: .validate(value) -> (value, errors), .get_default()


@dataclass(frozen=True, slots=True)
class _Plan:
    path: tuple[_Param, ...]
    headers: tuple[_Param, ...]
    body: _Param | None
    contexts: tuple[tuple[str, FastContext], ...]

    async def arguments(self, request: Request, body: bytes | None) -> dict[str, Any] | None:
        """The endpoint's arguments, or None when FastAPI must resolve them."""
        arguments: dict[str, Any] = {}
        path_params = request.scope["path_params"]
        for param in self.path:
            value, errors = param.field.validate(path_params[param.alias])
            if errors:
                return None
            arguments[param.name] = value
        headers = request.headers
        for param in self.headers:
            if param.alias.lower() in headers:
                return None  # rare (an extension header): the regular path reads it
            arguments[param.name] = param.field.get_default()
        if self.body is not None:
            try:
                data = orjson.loads(body or b"")
            except orjson.JSONDecodeError:
                return None
            value, errors = self.body.field.validate(data)
            if errors:
                return None
            arguments[self.body.name] = value
        for name, fast_context in self.contexts:
            context = fast_context(request)
            if context is None:
                return None
            arguments[name] = context
        return arguments


class HotRoute(APIRoute):
    """A route that :class:`HotPaths` may serve directly: its plan is made once, at start-up."""

    @cached_property
    def plan(self) -> _Plan | None:
        return _plan_of(self)


class HotPaths:
    """Pure ASGI, inside ``RequestGuardMiddleware`` and in front of FastAPI's exception middleware
    and router: a request for a planned :class:`HotRoute` is routed, validated and answered here.

    Routing is the router's: routes are tried in the app's order and the first whose path and
    method match decides; when that is not a planned route, or the plan declines the request, the
    request goes on to FastAPI unchanged (the body, if read, is handed on). Errors raised by the
    endpoint are ``AppError``s, answered by ``RequestGuardMiddleware`` exactly as FastAPI's handler
    for them answers (``core.handlers.error_response`` both).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in _HOT_METHODS:
            found = _find(scope["app"].router.routes, scope)
            if found is not None:
                route, plan, path_params = found
                scope["path_params"] = path_params
                scope["route"] = route
                scope["endpoint"] = route.endpoint
                body = None
                if plan.body is not None:
                    # Read here, handed on to whoever reads it next (the endpoint, or FastAPI).
                    body = await _read_body(receive)
                    receive = replay_body(body, receive)
                arguments = await plan.arguments(Request(scope, receive), body)
                if arguments is not None:
                    response: Response = await route.endpoint(**arguments)
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)


_HOT_METHODS = frozenset({"GET", "PUT", "POST"})


def _find(routes: list[BaseRoute], scope: Scope) -> tuple[HotRoute, _Plan, dict[str, Any]] | None:
    """The planned route that would serve ``scope``, as Starlette's router would choose it."""
    path, method = scope["path"], scope["method"]
    for route in routes:
        if not isinstance(route, Route):
            return None  # a mount or another kind of route: the router decides
        match = route.path_regex.match(path)
        if match is None or (route.methods is not None and method not in route.methods):
            continue
        if not isinstance(route, HotRoute) or route.plan is None:
            return None
        convertors = route.param_convertors
        params = {key: convertors[key].convert(value) for key, value in match.groupdict().items()}
        return route, route.plan, params
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away: what arrived is all there is
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _plan_of(route: APIRoute) -> _Plan | None:
    """The route's plan, or None when its shape is not one the plan covers."""
    dependant = route.dependant
    returns = inspect.signature(route.endpoint).return_annotation
    if not inspect.iscoroutinefunction(route.endpoint) or returns not in (Response, "Response"):
        return None
    if dependant.query_params or dependant.cookie_params or len(dependant.body_params) > 1:
        return None
    if any(getattr(field.field_info, "embed", False) for field in dependant.body_params):
        return None
    if any(getattr(dependant, name) for name in _SPECIAL_PARAMS):
        return None
    if any(field.field_info.is_required() for field in dependant.header_params):
        return None
    contexts = []
    for dependency in dependant.dependencies:
        fast_context = getattr(dependency.call, FAST_CONTEXT, None)
        if fast_context is None or dependency.name is None:
            return None
        contexts.append((dependency.name, fast_context))
    return _Plan(
        path=tuple(_Param(field.name, field.alias, field) for field in dependant.path_params),
        headers=tuple(_Param(field.name, field.alias, field) for field in dependant.header_params),
        body=_Param(dependant.body_params[0].name, "", dependant.body_params[0])
        if dependant.body_params
        else None,
        contexts=tuple(contexts),
    )


_SPECIAL_PARAMS = (
    "request_param_name",
    "websocket_param_name",
    "http_connection_param_name",
    "response_param_name",
    "background_tasks_param_name",
    "security_scopes_param_name",
)
