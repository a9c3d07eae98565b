"""``/openapi.json`` written the way the official Sport Alliance spec is written.

An SDK generated from our document must be able to replace one generated from the official spec:
generators derive types and class names from the document's shape, so the shape must match.
Pydantic and FastAPI add what the official spec does not have, and this pass takes it out:

- ``anyOf: [X, {type: null}]`` for optional fields and parameters becomes ``X``: generators would
  otherwise type the field ``X | None | Unset``. We never send ``null`` (absent values are left
  out of every body), and accepting ``null`` on input is unaffected.
- ``title`` on properties, parameters and bodies: generators name inline types after it
  (``Communicationchannel`` instead of ``CommunicationChannel``).
- FastAPI's 422 response: validation errors are 400 ``ErrorResponse`` here. Instead, every
  operation documents what is answered before routing (414, 431: ``core.openapi.EDGE_ERRORS``).
- ``security`` on each ``/v1`` operation: the official spec declares the API key once, for the
  whole document. Generators read an operation-level requirement as "needs an
  ``AuthenticatedClient``" where the official client takes any ``Client`` with the header set.

What cannot be fixed afterwards is declared on the models: ``format: int64`` ids and enums
written inline (``core.schemas``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from studio_comms.core.openapi import EDGE_ERRORS, error_responses
from studio_comms.core.schemas import INT64_MAX, INT64_MIN

API_KEY: list[dict[str, list[str]]] = [{"ApiKeyAuth": []}]
_ERROR = {"$ref": "#/components/schemas/ErrorResponse"}
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SUBSCHEMAS = ("items", "additionalProperties", "not")


NUL_FREE = "^[^\\u0000]*$"


def official_style(app: FastAPI) -> Callable[[], dict[str, Any]]:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        _reshape(document)
        app.openapi_schema = document
        return document

    return openapi


def _reshape(document: dict[str, Any]) -> None:
    components = document.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for schema in components.values():
        _clean(schema)
    document["security"] = API_KEY
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            # The document's requirement applies; others (the operator token, none) stay explicit.
            security = operation.pop("security", [])
            if security != API_KEY:
                operation["security"] = security
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status, edge in error_responses(*EDGE_ERRORS).items():
                responses.setdefault(
                    str(status),
                    {
                        "description": edge["description"],
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}
                        },
                    },
                )
            for parameter in operation.get("parameters", []):
                _clean(parameter.get("schema", {}))
            bodies = [operation.get("requestBody", {}), *responses.values()]
            for body in bodies:
                for media in body.get("content", {}).values():
                    _clean(media.get("schema", {}))


def _clean(schema: dict[str, Any]) -> None:
    """One schema object and those inside it (``properties`` is a map of names, not a schema)."""
    schema.pop("title", None)
    _drop_null_alternative(schema)
    if schema.get("format") == "int64":
        # FastAPI's document model keeps bounds as floats: 2^63 - 1 became 2^63, outside the range.
        for bound in ("maximum", "minimum"):
            if bound in schema:
                schema[bound] = max(min(int(schema[bound]), INT64_MAX), INT64_MIN)
    if schema.get("type") == "string" and not {"pattern", "enum", "format", "const"} & schema.keys():
        # Every text is refused with a NUL character in it (PostgreSQL cannot store one): say so.
        schema["pattern"] = NUL_FREE
    for sub in schema.get("properties", {}).values():
        _clean(sub)
    for key in _SUBSCHEMAS:
        if isinstance(schema.get(key), dict):
            _clean(schema[key])
    for key in _SUBSCHEMA_LISTS:
        for sub in schema.get(key, []):
            _clean(sub)


def _drop_null_alternative(schema: dict[str, Any]) -> None:
    alternatives = schema.get("anyOf")
    if not isinstance(alternatives, list):
        return
    rest = [alternative for alternative in alternatives if alternative != {"type": "null"}]
    if len(rest) == 1 and len(rest) < len(alternatives):
        del schema["anyOf"]
        # The remaining alternative's keys; the field's own (description, default) stay on top.
        for key, value in rest[0].items():
            schema.setdefault(key, value)
