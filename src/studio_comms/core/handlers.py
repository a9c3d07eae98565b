"""Renders every error as ``ErrorResponse`` — ours, FastAPI's and Starlette's alike."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Scope

from studio_comms.core import errortext
from studio_comms.core.dbfaults import as_app_error
from studio_comms.core.errors import (
    AppError,
    Conflict,
    Forbidden,
    MalformedJson,
    MethodNotAllowed,
    PayloadTooLarge,
    RateLimited,
    RouteNotFound,
    Unauthenticated,
    UnsupportedMediaType,
)
from studio_comms.core.messages import pick_language, render
from studio_comms.core.methods import allow_header
from studio_comms.core.requestid import request_id_of
from studio_comms.core.validation import invalid_from_errors

log = logging.getLogger("studio_comms.errors")


def error_response(error: AppError, *, request_id: str | None, accept_language: str | None) -> Response:
    body: dict[str, Any] = {
        "errorMessage": render(error.catalogue_key, pick_language(accept_language), error.args_for_message),
        "errorCode": error.error_code,
    }
    if request_id:
        body["traceId"] = request_id
    if error.reference:
        body["reference"] = error.reference
    headers = dict(error.headers)
    if request_id:
        headers["X-Request-Id"] = request_id
    return Response(
        orjson.dumps(body), status_code=error.status, headers=headers, media_type="application/json"
    )


def answer(error: Exception, scope: Scope) -> AppError:
    """What any error escaping a request is answered with — the one renderer of both lanes
    (``api.hot`` and FastAPI): FastAPI's exception handlers and ``core.middleware`` both call it,
    so an error answers byte for byte the same whichever lane the request took."""
    if isinstance(error, AppError):
        return error
    if isinstance(error, RequestValidationError):
        return invalid_from_errors(list(error.errors()))
    if isinstance(error, StarletteHTTPException):
        return _from_http(error, scope)
    mapped = as_app_error(error)  # a database fault: 503, 409 or 400
    if mapped is not None:
        return mapped
    # The route's template, not the path: a member page's path holds the member's token.
    route = getattr(scope.get("route"), "path", "?")
    if errortext.holds_values(error):  # its traceback would end with the refused values
        log.error("unexpected error on %s %s: %s, raised at %s", scope.get("method"), route,
                  errortext.describe(error), errortext.origin(error))  # fmt: skip
    else:
        log.error("unexpected error on %s %s", scope.get("method"), route, exc_info=error)
    return AppError()


# Starlette/FastAPI raise HTTPException for what they refuse before our code runs. FastAPI's 400 is
# "the body could not be parsed" (invalid UTF-8, JSON nested past the recursion limit, ...).
_FRAMEWORK_ERRORS: dict[int, type[AppError]] = {
    400: MalformedJson,
    401: Unauthenticated,
    403: Forbidden,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    429: RateLimited,
}


def _from_http(exc: StarletteHTTPException, scope: Scope) -> AppError:
    error: AppError
    if exc.status_code == 404:
        error = RouteNotFound(path=Request(scope).url.path)
    elif exc.status_code == 405:
        error = MethodNotAllowed(method=scope["method"])
    else:
        error = _FRAMEWORK_ERRORS.get(exc.status_code, AppError)()
    error.headers.update(exc.headers or {})
    if exc.status_code == 405:
        error.headers["Allow"] = allow_header(scope["app"].router.routes, scope)
    return error


async def _handle(request: Request, exc: Exception) -> Response:
    return error_response(
        answer(exc, request.scope),
        request_id=request_id_of(request.scope),
        accept_language=request.headers.get("accept-language"),
    )


def install(app: FastAPI) -> None:
    for kind in (AppError, RequestValidationError, StarletteHTTPException):
        app.add_exception_handler(kind, _handle)
    # Database faults and unexpected errors are answered by core.middleware, which (unlike a
    # handler for Exception, that Starlette runs and then re-raises) keeps the connection open.
