"""Renders every error as ``ErrorResponse`` — ours, FastAPI's and Starlette's alike."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

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


def _respond(request: Request, error: AppError) -> Response:
    return error_response(
        error,
        request_id=request_id_of(request.scope),
        accept_language=request.headers.get("accept-language"),
    )


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return _respond(request, exc)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return _respond(request, invalid_from_errors(list(exc.errors())))


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


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    error: AppError
    if exc.status_code == 404:
        error = RouteNotFound(path=request.url.path)
    elif exc.status_code == 405:
        error = MethodNotAllowed(method=request.method)
    else:
        error = _FRAMEWORK_ERRORS.get(exc.status_code, AppError)()
    error.headers.update(exc.headers or {})
    if exc.status_code == 405:
        error.headers["Allow"] = allow_header(request.app.router.routes, request.scope)
    return _respond(request, error)


def install(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # Database faults and unexpected errors are answered by core.middleware, which (unlike a
    # handler for Exception, that Starlette runs and then re-raises) keeps the connection open.
