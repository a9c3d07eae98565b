"""Helpers that keep every route's documented error statuses in one shape."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator, BeforeValidator

from studio_comms.core.schemas import INT64_MAX as INT64_MAX
from studio_comms.core.schemas import INT64_MIN as INT64_MIN
from studio_comms.core.schemas import ErrorResponse

# A positive id as written by whoever made it (a customer number in a CSV import, a new customer's URL).
CANONICAL_ID = re.compile(r"^[1-9][0-9]*\Z")
# Any int64 as JSON writes it: no plus sign, no leading zeros, no fraction or exponent.
INT64_LITERAL = re.compile(r"^(0|-?[1-9][0-9]*)\Z")  # \Z: "$" would let "1\n" through


def _int64_literal(value: object) -> object:
    """``1.0``, ``01`` and ``+1`` are not ids: one entity has one URL (else a 400 naming the id)."""
    if isinstance(value, str) and not INT64_LITERAL.match(value):
        raise ValueError("must be an integer without plus sign, leading zeros or fraction")
    return value


def _within_int64(value: int) -> int:
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError("must be a 64-bit integer")
    return value


def _path_id(description: str | None = None) -> Any:
    # Published as the official spec does (integer, int64, nothing else): the range is checked by
    # the validators. 0 and negative ids are well-formed and name nothing: the lookup answers 404,
    # as for any unknown id (the official API accepts them).
    return Path(description=description, json_schema_extra={"format": "int64"})


_LITERAL = BeforeValidator(_int64_literal)
_RANGE = AfterValidator(_within_int64)
CustomerId = Annotated[int, _path_id("The ID of the customer"), _LITERAL, _RANGE]
StudioId = Annotated[int, _path_id(), _LITERAL, _RANGE]
ThreadId = Annotated[int, _path_id("The ID of the communication thread"), _LITERAL, _RANGE]
KeyId = Annotated[int, _path_id(), _LITERAL, _RANGE]
WebhookId = Annotated[int, _path_id(), _LITERAL, _RANGE]
DeliveryId = Annotated[int, _path_id(), _LITERAL, _RANGE]
MessageId = Annotated[int, _path_id("The ID of the message"), _LITERAL, _RANGE]
BatchId = Annotated[int, _path_id("The ID of the bulk request"), _LITERAL, _RANGE]
SmsReplyId = Annotated[int, _path_id("The ID of the member's SMS reply"), _LITERAL, _RANGE]
# The number a new customer is created under (operator PUT): a positive int64.
NewCustomerId = Annotated[
    int,
    Path(
        ge=1, le=INT64_MAX, description="The studio's customer number", json_schema_extra={"format": "int64"}
    ),
    _LITERAL,
]

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
