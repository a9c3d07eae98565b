"""HTTP details generic clients rely on: a complete ``Allow`` on 405 and OPTIONS, no redirects."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.assertions import assert_error
from tests.communications.helpers import THREAD, THREADS, request

PREFS = "/v1/communications/1/communication-preferences"
OPT_IN = [{"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}]


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        (PREFS, "GET, HEAD, PUT, OPTIONS"),
        (THREADS.format(1), "GET, HEAD, POST, OPTIONS"),
        (THREAD.format(1, 7), "GET, HEAD, POST, PUT, OPTIONS"),
    ],
)
def test_options_and_405_list_every_method_of_the_path(api: TestClient, path: str, allow: str) -> None:
    options = api.options(path)
    assert options.status_code == 204
    assert options.headers["allow"] == allow
    refused = api.request("PATCH", path, json={})
    assert_error(refused, 405, "METHOD_NOT_ALLOWED")
    assert refused.headers["allow"] == allow


def test_options_needs_no_key_and_an_unknown_path_is_404(client: TestClient) -> None:
    assert client.options(PREFS).headers["allow"] == "GET, HEAD, PUT, OPTIONS"
    assert_error(client.options("/v1/no-such-thing"), 404, "ROUTE_NOT_FOUND")
    assert_error(client.options(PREFS + "/"), 404, "ROUTE_NOT_FOUND")


def test_every_published_operation_is_in_the_allow_of_its_path(app: FastAPI, client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for template, item in document["paths"].items():
        path = template.replace("{", "").replace("}", "")  # any value fills a path parameter
        allow = client.options(path).headers["allow"].split(", ")
        assert {method.upper() for method in item} <= set(allow), (template, allow)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", PREFS + "/", OPT_IN),
        ("GET", PREFS + "/", None),
        ("POST", THREADS.format(1) + "/", request()),
        ("GET", "/admin/v1/studios/1/", None),
    ],
)
def test_a_trailing_slash_is_not_found_never_redirected(
    api: TestClient, method: str, path: str, body: object
) -> None:
    response = api.request(method, path, json=body, follow_redirects=False)
    assert_error(response, 404, "ROUTE_NOT_FOUND")
    assert "location" not in response.headers
    # Nothing was written on the way.
    assert api.get(PREFS + "/history").json()["result"] == []
    assert api.get(THREADS.format(1)).json()["result"] == []
