"""Helpers that keep every route's documented error statuses in one shape."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import FastAPI, Path
from pydantic import BeforeValidator

from studio_comms.core.schemas import ErrorResponse

INT64_MAX = 2**63 - 1
CANONICAL_ID = re.compile(r"^[1-9][0-9]*$")


def _canonical_id(value: object) -> object:
    """``1.0``, ``01`` and ``+1`` are not ids: one entity has one URL."""
    if isinstance(value, str) and not CANONICAL_ID.match(value):
        raise ValueError("must be a positive integer without sign, leading zeros or fraction")
    return value


# Path ids: positive int64, as in the Sport Alliance spec; anything else is a 400 naming the id.
_PathId = BeforeValidator(_canonical_id)
CustomerId = Annotated[
    int,
    Path(ge=1, le=INT64_MAX, description="The studio's customer id", json_schema_extra={"format": "int64"}),
    _PathId,
]
StudioId = Annotated[int, Path(ge=1, le=INT64_MAX, json_schema_extra={"format": "int64"}), _PathId]
ThreadId = Annotated[int, Path(ge=1, le=INT64_MAX, json_schema_extra={"format": "int64"}), _PathId]
KeyId = Annotated[int, Path(ge=1, le=INT64_MAX, json_schema_extra={"format": "int64"}), _PathId]
WebhookId = Annotated[int, Path(ge=1, le=INT64_MAX, json_schema_extra={"format": "int64"}), _PathId]
DeliveryId = Annotated[int, Path(ge=1, le=INT64_MAX, json_schema_extra={"format": "int64"}), _PathId]

_DESCRIPTIONS = {
    400: "Validation failed (see `reference`)",
    401: "Missing or invalid credentials",
    403: "The API key lacks the required scope",
    404: "Entity not found (also another studio's entity)",
    409: "Conflict",
    413: "Request body too large",
    415: "Request body is not JSON",
    414: "Query string too long",
    429: "Rate limit exceeded (see Retry-After)",
    431: "Request line and headers too large",
    500: "Unexpected error",
}
# Answered for every operation before it is routed (core.middleware, studio_comms.server).
EDGE_ERRORS = (414, 431)

# Every compatible operation declares these (Sport Alliance spec).
COMPATIBLE_ERRORS = (400, 401, 403, 404, 409, 429, 500)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorResponse, "description": _DESCRIPTIONS[status]} for status in statuses}


def without_framework_422(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """FastAPI documents 422 for validation errors; ours answer 400 ``ErrorResponse`` instead.
    Every operation also documents the statuses answered before routing (414, 431)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        edge = error_responses(*EDGE_ERRORS)
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                operation.get("responses", {}).pop("422", None)
                for status, response in edge.items():
                    operation.setdefault("responses", {}).setdefault(
                        str(status),
                        {
                            "description": response["description"],
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}
                            },
                        },
                    )
        components = schema.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        app.openapi_schema = schema
        return schema

    return openapi
