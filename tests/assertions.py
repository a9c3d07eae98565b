"""Assertions shared by the API tests."""

from __future__ import annotations

from typing import Any


def assert_error(response: Any, status: int, code: str, reference: str | None = None) -> dict[str, Any]:
    """An ErrorResponse with this status and code (and, when given, this field reference)."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["errorCode"] == code, body
    assert isinstance(body["errorMessage"], str)
    assert body["errorMessage"]
    if reference is not None:
        assert body.get("reference") == reference, body
    return body
