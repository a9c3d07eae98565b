"""Contract: the compatible operations keep the official operationIds, schema names and enums."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

COMPATIBLE = {
    ("get", "/v1/communications/{customerId}/communication-preferences"): "getCommunicationPreferences",
    ("put", "/v1/communications/{customerId}/communication-preferences"): "updateCommunicationPreferences",
    ("post", "/v1/communications/{customerId}/threads"): "createCommunicationInNewCommunicationThread",
    (
        "put",
        "/v1/communications/{customerId}/threads/{threadId}",
    ): "createCommunicationInExistingCommunicationThread",
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    from studio_comms.main import create_app
    from studio_comms.settings import Settings

    app = create_app(Settings(database_url="sqlite:///:memory:"))
    with TestClient(app) as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def test_compatible_operations_keep_official_ids_and_tag(spec: dict[str, Any]) -> None:
    for (method, path), operation_id in COMPATIBLE.items():
        operation = spec["paths"][path][method]
        assert operation["operationId"] == operation_id
        assert operation["tags"] == ["Customers Communication"]
        assert set(operation["responses"]) >= {"200", "400", "401", "403", "404", "409", "429", "500"}
        assert operation["security"] == [{"ApiKeyAuth": []}]


def test_schema_names_and_enums_match_the_official_spec(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    wrapper = schemas["CommunicationChannelWrapper"]
    assert set(wrapper["properties"]) == {"communicationChannel", "customerOverridable", "active"}
    assert wrapper["required"] == ["communicationChannel"]
    preference = schemas["CommunicationPreference"]
    assert set(preference["properties"]) == {"messageCategory", "channels"}
    assert "required" not in preference
    error = schemas["ErrorResponse"]
    assert set(error["properties"]) == {"errorMessage", "errorCode", "traceId", "reference"}
    assert error["required"] == ["errorMessage"]
    assert schemas["MessageCategory"]["enum"] == [
        "CONTRACT",
        "GENERAL",
        "APPOINTMENT",
        "NEWSLETTER",
        "LOYALTY_PROGRAM",
    ]
    assert schemas["CommunicationChannel"]["enum"] == [
        "LETTER",
        "EMAIL",
        "TEXT_MESSAGE",
        "PHONE",
        "FAX",
        "CONVERSATION",
        "CHAT",
        "OTHER",
    ]
    assert spec["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-KEY",
    }


def test_get_and_put_bodies_are_top_level_arrays(spec: dict[str, Any]) -> None:
    path = spec["paths"]["/v1/communications/{customerId}/communication-preferences"]
    ref = {"$ref": "#/components/schemas/CommunicationPreference"}
    get_body = path["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    put_body = path["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert get_body["type"] == put_body["type"] == "array"
    assert get_body["items"] == put_body["items"] == ref
    assert path["put"]["requestBody"]["required"] is True


def test_path_ids_are_int64(spec: dict[str, Any]) -> None:
    parameters = spec["paths"]["/v1/communications/{customerId}/communication-preferences"]["get"][
        "parameters"
    ]
    customer_id = next(p for p in parameters if p["name"] == "customerId")
    assert customer_id["required"] is True
    assert customer_id["schema"]["type"] == "integer"
    assert customer_id["schema"]["maximum"] == 2**63 - 1


def test_every_route_documents_its_errors_as_error_response_and_none_says_422(spec: dict[str, Any]) -> None:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "422" not in responses, (method, path)
            errors = {code: r for code, r in responses.items() if code.startswith(("4", "5"))}
            assert {"400", "401"} <= set(errors), (method, path)
            for response in errors.values():
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (method, path)
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_thread_schemas_keep_the_official_fields_and_required_lists(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    request = schemas["CommunicationThreadRequest"]
    assert sorted(request["required"]) == sorted(
        ["communicationThreadStatus", "subject", "content", "communicationDirection", "communicationChannel"]
    )
    assert {"ticketNumber", "ticketLink", "agent", "communicationDateTime"} <= set(request["properties"])
    response = schemas["CommunicationThreadResponse"]
    assert sorted(response["required"]) == sorted(
        [
            "customerId",
            "communicationId",
            "threadId",
            "communicationThreadStatus",
            "subject",
            "content",
            "communicationDirection",
            "communicationChannel",
        ]
    )
    assert schemas["CommunicationThreadStatus"]["enum"] == ["CREATED", "ONGOING", "CLOSED"]
    assert schemas["CommunicationDirection"]["enum"] == ["INCOMING", "OUTGOING"]
    thread_ops = spec["paths"]["/v1/communications/{customerId}/threads/{threadId}"]
    assert "post" not in thread_ops  # the POST alias works but is not advertised
    ok = thread_ops["put"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/CommunicationThreadResponse"}
