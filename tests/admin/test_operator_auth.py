"""The operator API's token: every route closed without it, nothing written when refused."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from studio_comms.customers.models import Customer
from studio_comms.db.database import Database
from studio_comms.main import create_app
from studio_comms.preferences.models import Suppression
from studio_comms.preferences.offer import get_offer
from studio_comms.preferences.schemas import CommunicationPreference
from studio_comms.settings import Settings
from studio_comms.studios.models import Studio
from tests.admin.helpers import (
    DEFAULT_SETTINGS,
    STUDIOS,
    create_studio,
)
from tests.assertions import assert_error
from tests.conftest import ADMIN_TOKEN, FixedClock
from tests.dbtools import orm
from tests.factories import World

_BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/admin/v1/studios"): {"name": "Should not exist"},
    ("PUT", "/admin/v1/studios/{studioId}/communication-settings"): [],
    ("POST", "/admin/v1/studios/{studioId}/api-keys"): {
        "name": "k",
        "scopes": ["COMMUNICATION_PREFERENCES_READ"],
    },
    ("PUT", "/admin/v1/studios/{studioId}/customers/{customerId}"): {
        "firstName": "Erika",
        "lastName": "Mustermann",
    },
    ("PUT", "/admin/v1/studios/{studioId}/customers/{customerId}/suppressions/{channel}"): {
        "reason": "OPERATOR"
    },
}


def admin_operations(app: FastAPI, studio_id: int = 1) -> list[tuple[str, str, Any]]:
    """Every (method, concrete path, body) of the operator API, read from the app's OpenAPI paths."""
    values = {"studioId": str(studio_id), "customerId": "1", "keyId": "1", "channel": "EMAIL", "replyId": "1"}
    operations = []
    for template, item in app.openapi()["paths"].items():
        if not template.startswith("/admin"):
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)
        for method in sorted(item):
            operations.append((method.upper(), path, _BODIES.get((method.upper(), template))))
    return operations


def assert_unchanged(db: Database, world: World) -> None:
    """The refused writes above (settings, customer 1, suppression, studio) left no trace."""
    with db.read() as tx:
        assert get_offer(tx, world.studio_a) == [
            CommunicationPreference.model_validate(entry) for entry in DEFAULT_SETTINGS
        ]
    with orm(db) as session:
        customer = session.get(Customer, (world.studio_a, 1))
        assert customer is not None
        assert customer.last_name == "Muster1"
        assert session.scalar(select(func.count()).select_from(Suppression)) == 0
        assert (
            session.scalar(select(func.count()).select_from(Studio).where(Studio.name == "Should not exist"))
            == 0
        )


def send(client: TestClient, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    if body is None:
        return client.request(method, path, headers=headers)
    return client.request(method, path, json=body, headers=headers)


def test_the_operator_api_has_the_expected_routes(app: FastAPI) -> None:
    operations = {(method, path) for method, path, _ in admin_operations(app)}
    assert {
        ("POST", "/admin/v1/studios"),
        ("GET", "/admin/v1/studios/1"),
        ("GET", "/admin/v1/studios/1/communication-settings"),
        ("PUT", "/admin/v1/studios/1/communication-settings"),
        ("POST", "/admin/v1/studios/1/api-keys"),
        ("GET", "/admin/v1/studios/1/api-keys"),
        ("DELETE", "/admin/v1/studios/1/api-keys/1"),
        ("PUT", "/admin/v1/studios/1/customers/1"),
        ("GET", "/admin/v1/studios/1/customers/1"),
        ("GET", "/admin/v1/studios/1/customers/1/suppressions"),
        ("PUT", "/admin/v1/studios/1/customers/1/suppressions/EMAIL"),
        ("DELETE", "/admin/v1/studios/1/customers/1/suppressions/EMAIL"),
        ("GET", "/admin/v1/studios/1/sms/replies"),
        ("POST", "/admin/v1/studios/1/sms/replies/1/apply"),
        ("POST", "/admin/v1/studios/1/sms/replies/1/dismiss"),
    } <= operations


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Bearer {ADMIN_TOKEN}x"},
        {"Authorization": f"Basic {ADMIN_TOKEN}"},
        {"Authorization": ADMIN_TOKEN},
        {"Authorization": "Bearer "},
        {"X-API-KEY": ADMIN_TOKEN},
    ],
    ids=["none", "wrong", "longer", "basic-scheme", "no-scheme", "empty-bearer", "as-api-key"],
)
def test_every_admin_route_refuses_a_missing_or_wrong_token(
    app: FastAPI, client: TestClient, db: Database, world: World, headers: dict[str, str]
) -> None:
    operations = admin_operations(app, world.studio_a)
    assert len(operations) >= 12
    for method, path, body in operations:
        response = send(client, method, path, body, headers)
        assert_error(response, 401, "AUTHENTICATION_FAILED")
        assert "reference" not in response.json()
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert_unchanged(db, world)


@pytest.fixture(params=[None, ""], ids=["admin-token-unset", "admin-token-empty"])
def tokenless_client(
    request: pytest.FixtureRequest, database_url: str, db: Database, clock: FixedClock
) -> Iterator[TestClient]:
    settings = Settings(database_url=database_url, admin_token=request.param)  # type: ignore[arg-type]
    app = create_app(settings, database=db, clock=clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": f"Bearer {ADMIN_TOKEN}"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer None"},
    ],
    ids=["none", "test-token", "empty", "none-string"],
)
def test_without_a_configured_admin_token_every_admin_route_is_closed(
    tokenless_client: TestClient, db: Database, world: World, headers: dict[str, str]
) -> None:
    operations = admin_operations(tokenless_client.app, world.studio_a)  # type: ignore[arg-type]
    assert len(operations) >= 12
    for method, path, body in operations:
        response = send(tokenless_client, method, path, body, headers)
        assert_error(response, 401, "AUTHENTICATION_FAILED")
    assert_unchanged(db, world)


def test_refused_studio_creation_creates_nothing(client: TestClient, admin: TestClient) -> None:
    before = create_studio(admin)["studioId"]
    assert_error(client.post(STUDIOS, json={"name": "Sneaky"}), 401, "AUTHENTICATION_FAILED")
    after = create_studio(admin)["studioId"]
    # Ids are handed out in order; no studio named Sneaky exists between the two.
    for studio_id in range(before + 1, after):
        response = admin.get(f"{STUDIOS}/{studio_id}")
        assert response.status_code == 404 or response.json()["name"] != "Sneaky"
