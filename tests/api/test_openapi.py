"""Contract of the whole document: errors, ids, optional fields, security (the compatible operations'
own shape is in ``test_openapi_official_shape``)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient


def test_every_route_documents_its_errors_as_error_response_and_none_says_422(
    openapi_document: dict[str, Any],
) -> None:
    for path, item in openapi_document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "422" not in responses, (method, path)
            errors = {code: r for code, r in responses.items() if code.startswith(("4", "5"))}
            assert {"400", "401"} <= set(errors), (method, path)
            for response in errors.values():
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (method, path)
    assert "HTTPValidationError" not in openapi_document["components"]["schemas"]


def test_the_api_key_is_required_for_the_whole_document_as_in_the_official(
    openapi_document: dict[str, Any],
) -> None:
    assert openapi_document["security"] == [{"ApiKeyAuth": []}]
    assert openapi_document["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-KEY",
    }
    for path, item in openapi_document["paths"].items():
        for operation in item.values():
            if path.startswith("/admin/"):
                assert operation["security"] == [{"OperatorToken": []}]


def test_no_optional_field_is_published_as_any_of_null(openapi_document: dict[str, Any]) -> None:
    text = json.dumps(openapi_document)
    assert '{"type": "null"}' not in text
    assert '"title"' not in json.dumps(openapi_document["paths"])


def test_every_integer_id_is_int64(openapi_document: dict[str, Any]) -> None:
    ids = []
    for item in openapi_document["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["schema"].get("type") == "integer" and parameter["name"].endswith("Id"):
                    ids.append((parameter["name"], parameter["schema"].get("format")))
    for name, schema in openapi_document["components"]["schemas"].items():
        for field, value in schema.get("properties", {}).items():
            if field.endswith("Id") and value.get("type") == "integer":
                ids.append((f"{name}.{field}", value.get("format")))
    assert len(ids) > 20
    assert [name for name, fmt in ids if fmt != "int64"] == []


def _accepts(document: dict[str, Any], schema: str, body: dict[str, Any]) -> bool:
    """Whether the published schema ``schema`` accepts ``body`` (JSON Schema 2020-12, OpenAPI 3.1)."""
    root = {"$ref": f"#/components/schemas/{schema}", "components": document["components"]}
    return bool(jsonschema_rs.Draft202012Validator(root).is_valid(body))


def test_the_send_bodies_publish_that_an_e_mail_needs_a_subject_and_distinct_recipients(
    openapi_document: dict[str, Any],
) -> None:
    """The services refuse an e-mail without a subject and a customer named twice: the document
    says so, or a client (or a fuzzer) reading it sends what is refused."""
    single = {"messageCategory": "GENERAL", "content": "Hello"}
    for schema, body in (("MessageCreate", single), ("BulkMessageCreate", {**single, "customerIds": [1, 2]})):
        assert not _accepts(openapi_document, schema, {**body, "communicationChannel": "EMAIL"}), schema
        assert _accepts(openapi_document, schema, {**body, "communicationChannel": "EMAIL", "subject": "Hi"})
        assert _accepts(openapi_document, schema, {**body, "communicationChannel": "TEXT_MESSAGE"}), schema
    twice = {**single, "communicationChannel": "TEXT_MESSAGE", "customerIds": [1, 1]}
    assert not _accepts(openapi_document, "BulkMessageCreate", twice)


def _parameter_accepts(document: dict[str, Any], path: str, name: str, value: str) -> bool:
    [parameter] = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name]
    return bool(jsonschema_rs.Draft202012Validator(parameter["schema"]).is_valid(value))


@pytest.mark.parametrize(
    ("schema", "body"),
    [
        ("StudioCreate", {"name": "S", "timeZone": ""}),
        ("StudioCreate", {"name": "S", "timeZone": "Europe/Berlin\n"}),
        ("WebhookCreate", {"url": "0"}),
        ("WebhookCreate", {"url": "http://"}),
    ],
)
def test_what_issue_22_found_refused_is_refused_by_the_document_too(
    openapi_document: dict[str, Any], admin: TestClient, api: TestClient, schema: str, body: dict[str, Any]
) -> None:
    """Issue 22: the published schema accepted ~1,160 requests the service refused (``timeZone: ""``,
    webhook ``url: "0"``); each is refused by both now, the schema naming it before the request."""
    assert not _accepts(openapi_document, schema, body)
    if schema == "StudioCreate":
        answer = admin.post("/admin/v1/studios", json=body)
    else:
        answer = api.post("/v1/webhooks", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["reference"] == next(iter(body.keys() - {"name"}))


@pytest.mark.parametrize("offset", ["%05", "%20", "1%0A", "1.0", "-1", "0x1"])
def test_an_offset_the_service_refuses_the_document_refuses(
    openapi_document: dict[str, Any], api: TestClient, offset: str
) -> None:
    """``offset=%05`` was schema-valid and refused (issue 22)."""
    path = "/v1/communications/{customerId}/threads"
    assert not _parameter_accepts(openapi_document, path, "offset", unquote(offset))
    answer = api.get(f"/v1/communications/1/threads?offset={offset}")
    assert (answer.status_code, answer.json()["reference"]) == (400, "offset")
    assert _parameter_accepts(openapi_document, path, "offset", "12")
    assert api.get("/v1/communications/1/threads?offset=12").status_code == 200
