"""Another studio's customers and threads do not exist for a key: every partner route that names a
customer answers 404 for a number that exists in the other studio only, and writes nothing there.

The routes are read from the app's own OpenAPI document, so a new route is covered (or this test
asks for its body) without anyone remembering to add it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import World

THREAD_REQUEST = {
    "communicationThreadStatus": "CREATED",
    "subject": "Hello",
    "content": "Hi",
    "communicationDirection": "INCOMING",
    "communicationChannel": "EMAIL",
}
NEWSLETTER_OPT_IN = [
    {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}
]
# A valid request for each route, so that only tenancy can refuse it.
REQUESTS: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/v1/communications/{customerId}/communication-preferences"): {},
    ("PUT", "/v1/communications/{customerId}/communication-preferences"): {"json": NEWSLETTER_OPT_IN},
    ("GET", "/v1/communications/{customerId}/communication-preferences/history"): {},
    ("GET", "/v1/communications/{customerId}/communication-permission"): {
        "params": {"messageCategory": "NEWSLETTER", "communicationChannel": "EMAIL"}
    },
    ("POST", "/v1/communications/{customerId}/threads"): {"json": THREAD_REQUEST},
    ("GET", "/v1/communications/{customerId}/threads"): {},
    ("PUT", "/v1/communications/{customerId}/threads/{threadId}"): {"json": THREAD_REQUEST},
    ("GET", "/v1/communications/{customerId}/threads/{threadId}"): {},
    ("POST", "/v1/communications/{customerId}/preference-links"): {"json": {}},
    ("POST", "/v1/communications/{customerId}/messages"): {
        "json": {
            "messageCategory": "APPOINTMENT",
            "communicationChannel": "EMAIL",
            "subject": "Your class",
            "content": "See you at 18:00.",
        }
    },
    ("GET", "/v1/customers/{customerId}"): {},
    ("POST", "/v1/communications/{customerId}/unsubscribe-links"): {
        "json": {"messageCategory": "NEWSLETTER", "communicationChannel": "EMAIL"}
    },
}


def customer_routes(app: FastAPI) -> list[tuple[str, str]]:
    return sorted(
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        if path.startswith("/v1/") and "{customerId}" in path
        for method in item
    )


def test_every_route_naming_a_customer_is_covered(app: FastAPI) -> None:
    missing = [route for route in customer_routes(app) if route not in REQUESTS]
    assert missing == [], f"add a valid request for these routes to REQUESTS: {missing}"


@pytest.mark.parametrize(("method", "path"), sorted(REQUESTS))
def test_another_studios_customer_does_not_exist_for_this_key(
    api: TestClient, client: TestClient, world: World, method: str, path: str
) -> None:
    # B's customer has a thread, so that a thread route would find something if it leaked.
    b_thread = client.post(
        f"/v1/communications/{world.only_in_b}/threads",
        json=THREAD_REQUEST,
        headers={"X-API-KEY": world.key_b},
    ).json()["threadId"]
    url = re.sub(r"\{customerId\}", str(world.only_in_b), path).replace("{threadId}", str(b_thread))
    response = api.request(method, url, **REQUESTS[(method, path)])
    assert response.status_code == 404, response.text
    assert response.json()["errorCode"] == "CUSTOMER_NOT_FOUND"
    # Nothing was written in studio B either.
    history = client.get(
        f"/v1/communications/{world.only_in_b}/communication-preferences/history",
        headers={"X-API-KEY": world.key_b},
    ).json()
    assert history["result"] == []
    threads = client.get(
        f"/v1/communications/{world.only_in_b}/threads", headers={"X-API-KEY": world.key_b}
    ).json()
    assert [thread["threadId"] for thread in threads["result"]] == [b_thread]
    thread = client.get(
        f"/v1/communications/{world.only_in_b}/threads/{b_thread}", headers={"X-API-KEY": world.key_b}
    ).json()
    assert len(thread["communications"]) == 1


def test_a_thread_of_the_same_customer_number_in_another_studio_is_not_found(
    api: TestClient, client: TestClient, world: World
) -> None:
    b_thread = client.post(
        "/v1/communications/1/threads", json=THREAD_REQUEST, headers={"X-API-KEY": world.key_b}
    ).json()["threadId"]
    for response in (
        api.get(f"/v1/communications/1/threads/{b_thread}"),
        api.put(f"/v1/communications/1/threads/{b_thread}", json=THREAD_REQUEST),
    ):
        assert response.status_code == 404
        assert response.json()["errorCode"] == "THREAD_NOT_FOUND"
