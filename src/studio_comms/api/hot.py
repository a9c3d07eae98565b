"""Routes that serve their common request without FastAPI's per-request dependency solving.

FastAPI resolves a route's parameters through a general machinery (dependency graph, caches,
error collection) that cost a quarter of a GET's CPU (py-spy, docs/benchmarks.md). Our ``/v1``
routes have one simple shape: path ids, optional headers, at most one JSON body, and one
dependency that makes the request's context. :class:`HotRoute` checks at start-up that a route has
that shape and then, per request, validates each value with FastAPI's own field (the same
validators, so the same values pass) and calls the endpoint directly. Anything else — a value that
does not validate, a header it does not expect, a dependency that declines — goes to FastAPI's
regular handler, which answers exactly as before (the error included). The OpenAPI document is
FastAPI's, from the same declarations.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

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

    async def arguments(self, request: Request) -> dict[str, Any] | None:
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
            raw = await request.body()  # kept by the request, should FastAPI need it again
            try:
                data = orjson.loads(raw)
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
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        regular = super().get_route_handler()
        plan = _plan_of(self)
        if plan is None:
            return regular
        endpoint = self.endpoint

        async def handler(request: Request) -> Response:
            arguments = await plan.arguments(request)
            if arguments is None:
                return await regular(request)
            response: Response = await endpoint(**arguments)
            return response

        return handler


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
