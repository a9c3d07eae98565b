"""Bad input gets a 4xx ErrorResponse naming the field, never a 500; every error has one shape."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

PREFS = "/v1/communications/1/communication-preferences"
VALID = [{"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}]


def assert_error(response, status: int, code: str, reference: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert body["errorCode"] == code
    assert body["errorMessage"]
    assert body["traceId"] == response.headers["X-Request-Id"]
    assert body.get("reference") == reference
    assert set(body) <= {"errorMessage", "errorCode", "traceId", "reference"}
    return body


@pytest.mark.parametrize(
    ("body", "reference"),
    [
        ({"messageCategory": "NEWSLETTER"}, None),
        ([{"messageCategory": "NEWS"}], "[0].messageCategory"),
        (
            [{"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "PIGEON"}]}],
            "[0].channels[0].communicationChannel",
        ),
        (
            [{"messageCategory": "NEWSLETTER", "channels": [{"active": True}]}],
            "[0].channels[0].communicationChannel",
        ),
        (
            [
                {
                    "messageCategory": "NEWSLETTER",
                    "channels": [{"communicationChannel": "EMAIL", "active": "yes"}],
                }
            ],
            "[0].channels[0].active",
        ),
        (
            [{"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": 1}]}],
            "[0].channels[0].active",
        ),
        ([{"messageCategory": "NEWSLETTER", "channels": {"communicationChannel": "EMAIL"}}], "[0].channels"),
        (["NEWSLETTER"], "[0]"),
        ([{"channels": []}], "[0].messageCategory"),
    ],
)
def test_wrong_shapes_types_and_enums_are_400_with_reference(
    api: TestClient, body: object, reference: str | None
) -> None:
    before = api.get(PREFS).json()
    response = api.put(PREFS, json=body)
    if reference is None:
        assert response.status_code == 400
        assert response.json()["errorCode"] == "VALIDATION_FAILED"
    else:
        assert_error(response, 400, "VALIDATION_FAILED", reference)
    assert api.get(PREFS).json() == before


def test_malformed_json_is_400(api: TestClient) -> None:
    response = api.put(PREFS, content=b'[{"messageCategory": ', headers={"Content-Type": "application/json"})
    assert_error(response, 400, "MALFORMED_JSON")


def test_missing_body_is_400(api: TestClient) -> None:
    response = api.put(PREFS, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "VALIDATION_FAILED")


def test_wrong_content_type_is_415(api: TestClient) -> None:
    response = api.put(PREFS, content=b"[]", headers={"Content-Type": "text/plain"})
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    response = api.put(PREFS, content=b"[]")
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_json_with_charset_is_accepted(api: TestClient) -> None:
    response = api.put(PREFS, content=b"[]", headers={"Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 200


def test_body_over_one_mebibyte_is_413(api: TestClient) -> None:
    big = b"[" + b" " * (1024 * 1024) + b"]"
    response = api.put(PREFS, content=big, headers={"Content-Type": "application/json"})
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


def test_chunked_body_over_the_limit_is_413(api: TestClient) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(17):
            yield b" " * 65536

    response = api.put(PREFS, content=chunks(), headers={"Content-Type": "application/json"})
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize(
    "customer_id",
    ["abc", "9223372036854775808", "-9223372036854775809", "1.5", "1.0", "01", "+1", "1e3", "-0"],
)
def test_bad_path_ids_are_400_naming_the_id(api: TestClient, customer_id: str) -> None:
    response = api.get(f"/v1/communications/{customer_id}/communication-preferences")
    assert_error(response, 400, "VALIDATION_FAILED", "customerId")


@pytest.mark.parametrize("customer_id", ["0", "-1", "-9223372036854775808"])
def test_int64_ids_that_name_nothing_are_404_like_any_unknown_id(api: TestClient, customer_id: str) -> None:
    """The official API takes any int64 in the path; an id no customer has is simply not found."""
    prefs = f"/v1/communications/{customer_id}/communication-preferences"
    assert_error(api.get(prefs), 404, "CUSTOMER_NOT_FOUND")
    assert_error(api.put(prefs, json=[]), 404, "CUSTOMER_NOT_FOUND")
    thread = {
        "communicationThreadStatus": "CREATED",
        "subject": "s",
        "content": "c",
        "communicationDirection": "INCOMING",
        "communicationChannel": "EMAIL",
    }
    assert_error(
        api.post(f"/v1/communications/{customer_id}/threads", json=thread), 404, "CUSTOMER_NOT_FOUND"
    )
    assert_error(
        api.put(f"/v1/communications/{customer_id}/threads/1", json=thread), 404, "CUSTOMER_NOT_FOUND"
    )


def test_largest_int64_id_is_a_404_not_an_error(api: TestClient) -> None:
    response = api.get("/v1/communications/9223372036854775807/communication-preferences")
    assert_error(response, 404, "CUSTOMER_NOT_FOUND")


def test_unknown_route_and_method(api: TestClient) -> None:
    assert_error(api.get("/v1/nothing-here"), 404, "ROUTE_NOT_FOUND")
    assert_error(api.delete(PREFS), 405, "METHOD_NOT_ALLOWED")


def test_request_id_is_echoed_and_becomes_trace_id(api: TestClient) -> None:
    response = api.get(
        "/v1/communications/999/communication-preferences", headers={"X-Request-Id": "abc-123"}
    )
    assert response.headers["X-Request-Id"] == "abc-123"
    assert response.json()["traceId"] == "abc-123"
    unsafe = api.get(PREFS, headers={"X-Request-Id": "bad id\twith spaces"})
    assert unsafe.headers["X-Request-Id"] != "bad id\twith spaces"
    assert len(unsafe.headers["X-Request-Id"]) == 32


def test_accept_language_picks_german_or_english(api: TestClient) -> None:
    path = "/v1/communications/999/communication-preferences"
    german = api.get(path, headers={"Accept-Language": "de-AT,de;q=0.9"}).json()
    english = api.get(path, headers={"Accept-Language": "fr"}).json()
    assert german["errorMessage"] == "Kunde 999 wurde nicht gefunden."
    assert english["errorMessage"] == "Customer 999 not found."
    assert german["errorCode"] == english["errorCode"] == "CUSTOMER_NOT_FOUND"
    validation = api.put(PREFS, json=[{"messageCategory": "X"}], headers={"Accept-Language": "de"}).json()
    assert "muss einer der folgenden Werte sein" in validation["errorMessage"]


def test_unexpected_failure_is_500_error_response(api: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from studio_comms.preferences import service

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "get_preferences", explode)
    response = api.get(PREFS)
    body = assert_error(response, 500, "INTERNAL_ERROR")
    assert "boom" not in body["errorMessage"]


@pytest.mark.parametrize(
    "body",
    [b'[{"messageCategory": "\xff\xfe"}]', b"[" * 100_000 + b"]" * 100_000],
    ids=["invalid-utf8", "nested-past-recursion-limit"],
)
def test_bodies_the_parser_cannot_read_are_malformed_json_not_internal_errors(
    api: TestClient, body: bytes
) -> None:
    before = api.get(PREFS).json()
    response = api.put(PREFS, content=body, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "MALFORMED_JSON")
    assert api.get(PREFS).json() == before
