"""Turns FastAPI/Pydantic validation errors into one ``ErrorResponse``-ready :class:`Invalid`.

The first error wins; ``reference`` is the field path in Sport Alliance notation
(``[0].channels[1].communicationChannel``), without the ``body``/``path``/``query`` prefix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from studio_comms.core.errors import Invalid, MalformedJson

_TYPE_NAMES = {
    "bool_type": "a boolean",
    "bool_parsing": "a boolean",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "string_type": "a string",
    "list_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "float_type": "a number",
    "datetime_type": "a date-time",
    "datetime_parsing": "a date-time",
}
_RANGE_TYPES = {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "int_too_big"}
_LENGTH_TYPES = {"string_too_short", "string_too_long", "too_short", "too_long"}


def reference_from_loc(loc: Sequence[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] in ("body", "path", "query", "header", "cookie"):
        parts = parts[1:]
    reference = ""
    for part in parts:
        if isinstance(part, int):
            reference += f"[{part}]"
        else:
            reference += f".{part}" if reference else str(part)
    return reference


def invalid_from_errors(errors: Sequence[dict[str, Any]]) -> Invalid:
    if not errors:
        return _invalid("FIELD_INVALID", None, field="request", detail="invalid")
    error = errors[0]
    kind = error.get("type", "")
    loc = tuple(error.get("loc", ()))
    reference = reference_from_loc(loc)
    if kind == "json_invalid":
        return MalformedJson()
    if kind == "missing" and loc in (("body",), ()):
        return _invalid("BODY_REQUIRED", None)
    field = reference or "request"
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _invalid("FIELD_REQUIRED", reference, field=field)
    if kind in ("enum", "literal_error"):
        allowed = str(ctx.get("expected", "")).replace("'", "")
        return _invalid("FIELD_ENUM", reference, field=field, allowed=allowed)
    if kind in _TYPE_NAMES:
        return _invalid("FIELD_TYPE", reference, field=field, expected=_TYPE_NAMES[kind])
    if kind in _RANGE_TYPES:
        return _invalid("FIELD_RANGE", reference, field=field, detail=error.get("msg", ""))
    if kind in _LENGTH_TYPES:
        return _invalid("FIELD_LENGTH", reference, field=field, detail=error.get("msg", ""))
    detail = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return _invalid("FIELD_INVALID", reference, field=field, detail=detail)


def _invalid(message_key: str, reference: str | None, **args: Any) -> Invalid:
    return Invalid(reference=reference or None, message_key=message_key, **args)


def refuse_nul_characters(body: bytes) -> None:
    """Raises :class:`Invalid` naming the first string of the JSON ``body`` holding a NUL character.

    PostgreSQL text cannot hold NUL, and no field of ours means one. A body that is no JSON is
    left to the JSON parser (400 ``MALFORMED_JSON``).
    """
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return
    found = _nul_path(value)
    if found is not None:
        reference = reference_from_loc(found)
        raise _invalid(
            "FIELD_INVALID", reference, field=reference or "request", detail="NUL characters are not allowed"
        )


def _nul_path(root: Any) -> list[str | int] | None:
    """Depth first and in document order, without recursion (JSON may nest 1,000 deep)."""
    stack: list[tuple[list[str | int], Any]] = [([], root)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return path
        elif isinstance(value, dict):
            if any("\x00" in key for key in value):
                return path
            stack.extend((([*path, key], item) for key, item in reversed(value.items())))
        elif isinstance(value, list):
            stack.extend((([*path, index], item) for index, item in reversed(list(enumerate(value)))))
    return None
