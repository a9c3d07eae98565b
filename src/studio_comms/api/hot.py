"""The hot ``/v1`` routes, served without FastAPI's per-request machinery.

Under load FastAPI's general machinery for a request (exception middleware, router, request
wrapper, dependency graph) cost more CPU than our whole GET (py-spy and callgrind,
docs/benchmarks.md). Our ``/v1`` routes have one simple shape: path ids, optional headers, at most
one JSON body, and one dependency that makes the request's context. An endpoint marked
:func:`hot` gets its *plan* when the app is made (``plan_hot_routes``; a marked route that cannot
be planned stops the start, naming the route and why). :class:`HotPaths` then routes such a
request as the router would, validates each value with FastAPI's own field (the same validators,
so the same values pass) and calls the endpoint. Anything else — a value that does not validate, a
header the plan does not read, a dependency that declines — goes on to FastAPI, which answers as
it always does. Errors of both lanes are rendered by one function (``core.handlers.answer``), so
the lane a request took never shows in its answer; ``STUDIO_COMMS_HOT_PATHS=off`` turns the lane
off. The OpenAPI document is FastAPI's, from the same declarations.

What this module reads of FastAPI and Starlette (``route.dependant`` and its fields, ``ModelField.
validate``/``get_default``, ``path_regex``/``param_convertors``, the scope keys the router sets) is
exercised by ``tests/api/test_hot_internals.py``, so a change of them fails a test instead of
answering differently; pyproject.toml bounds the versions it was tested with.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

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
_HOT = "__studio_comms_hot__"
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def hot(endpoint: Endpoint) -> Endpoint:
    """Marks the endpoint's routes as served by :class:`HotPaths` (below the route decorator)."""
    setattr(endpoint, _HOT, True)
    return endpoint


class HotRouteNotPlannable(RuntimeError):
    """A route marked :func:`hot` does not have the shape a plan covers: the app does not start."""


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


Plans = Mapping[int, _Plan]  # by id() of the route (Starlette's routes compare by value)


def plan_hot_routes(routes: list[BaseRoute]) -> dict[int, _Plan]:
    """The plan of every route whose endpoint is marked :func:`hot`; raises
    :class:`HotRouteNotPlannable` naming the first that cannot be planned, and why."""
    plans: dict[int, _Plan] = {}
    for route in routes:
        if not getattr(getattr(route, "endpoint", None), _HOT, False):
            continue
        name = f"{sorted(getattr(route, 'methods', None) or ())} {getattr(route, 'path', route)!s}"
        if not isinstance(route, APIRoute):
            raise HotRouteNotPlannable(f"{name}: marked hot but not a FastAPI route")
        plan = _plan_of(route)
        if isinstance(plan, str):
            raise HotRouteNotPlannable(f"{name} is marked hot but cannot be planned: {plan}")
        plans[id(route)] = plan
    return plans


class HotPaths:
    """Pure ASGI, inside ``RequestGuardMiddleware`` and in front of FastAPI's exception middleware
    and router: a request for a planned route (:func:`hot`) is routed, validated and answered here.

    Routing is the router's: routes are tried in the app's order and the first whose path and
    method match decides; when that is not a planned route, or the plan declines the request, the
    request goes on to FastAPI unchanged (the body, if read, is handed on). Errors raised by the
    endpoint (an ``AppError``, an ``HTTPException``, a database fault) are answered by
    ``RequestGuardMiddleware`` with the function FastAPI's handlers call (``core.handlers.answer``).
    """

    def __init__(self, app: ASGIApp, *, plans: Plans) -> None:
        self.app = app
        self.plans = plans

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in _HOT_METHODS:
            found = _find(scope["app"].router.routes, self.plans, scope)
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


def _find(
    routes: list[BaseRoute], plans: Plans, scope: Scope
) -> tuple[APIRoute, _Plan, dict[str, Any]] | None:
    """The planned route that would serve ``scope``, as Starlette's router would choose it."""
    path, method = scope["path"], scope["method"]
    for route in routes:
        if not isinstance(route, Route):
            return None  # a mount or another kind of route: the router decides
        match = route.path_regex.match(path)
        if match is None or (route.methods is not None and method not in route.methods):
            continue
        plan = plans.get(id(route))
        if plan is None:
            return None
        assert isinstance(route, APIRoute)
        convertors = route.param_convertors
        params = {key: convertors[key].convert(value) for key, value in match.groupdict().items()}
        return route, plan, params
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


def _plan_of(route: APIRoute) -> _Plan | str:
    """The route's plan, or why its shape is not one the plan covers."""
    dependant = route.dependant
    returns = inspect.signature(route.endpoint).return_annotation
    if not inspect.iscoroutinefunction(route.endpoint) or returns not in (Response, "Response"):
        return "the endpoint must be an async def returning a Response"
    if dependant.query_params or dependant.cookie_params:
        return "query and cookie parameters are FastAPI's to read"
    if len(dependant.body_params) > 1 or any(
        getattr(field.field_info, "embed", False) for field in dependant.body_params
    ):
        return "at most one body parameter, not embedded"
    special = [name for name in _SPECIAL_PARAMS if getattr(dependant, name)]
    if special:
        return f"parameters FastAPI provides ({', '.join(special)})"
    if any(field.field_info.is_required() for field in dependant.header_params):
        return "a required header"
    contexts = []
    for dependency in dependant.dependencies:
        fast_context = getattr(dependency.call, FAST_CONTEXT, None)
        if fast_context is None or dependency.name is None:
            return f"the dependency {dependency.call!r} has no fast form ({FAST_CONTEXT})"
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
