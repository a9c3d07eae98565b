"""SSRF: with private networks not allowed, only https to public addresses is accepted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from studio_comms.background import build_worker
from studio_comms.core.auth import Scope
from studio_comms.db.database import Database
from studio_comms.main import create_app
from studio_comms.outbox.worker import Worker
from studio_comms.settings import Settings
from studio_comms.webhooks import urlsafety
from studio_comms.webhooks.models import WebhookSubscription
from tests.assertions import assert_error
from tests.conftest import FixedClock
from tests.dbtools import orm
from tests.factories import World, make_key
from tests.receiver import Receiver
from tests.webhooks.conftest import set_preference, subscribe

REFUSED = [
    "https://127.0.0.1/hook",
    "https://localhost/hook",
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://2130706433/hook",  # 127.0.0.1 as one number
    "https://0x7f.1/hook",
    "https://0.0.0.0/hook",
    "https://169.254.169.254/latest/meta-data",  # cloud metadata (link-local)
    "https://[fe80::1]/hook",
    "https://10.1.2.3/hook",
    "https://172.16.0.1/hook",
    "https://192.168.1.1/hook",
    "https://100.64.0.1/hook",  # carrier-grade NAT
    "https://[fc00::1]/hook",
    "https://224.0.0.1/hook",
    "http://93.184.215.14/hook",  # public, but not https
    "file:///etc/passwd",
    "gopher://93.184.215.14:70/_hello",
    "ftp://93.184.215.14/hook",
    "https://user:secret@93.184.215.14/hook",
    "https:///no-host",
    "https://does-not-resolve.invalid/hook",
    "not a url",
]


@pytest.fixture
def strict_settings(settings: Settings) -> Settings:
    """The production default: no private networks."""
    return settings.model_copy(update={"webhook_allow_private_networks": False})


@pytest.fixture
def strict_api(
    strict_settings: Settings, db: Database, clock: FixedClock, world: World
) -> Iterator[TestClient]:
    app: FastAPI = create_app(strict_settings, database=db, clock=clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        client.headers["X-API-KEY"] = world.key_a
        yield client


@pytest.mark.parametrize("url", REFUSED)
def test_unsafe_urls_are_refused_with_400(strict_api: TestClient, db: Database, url: str) -> None:
    body = assert_error(
        strict_api.post("/v1/webhooks", json={"url": url}), 400, "WEBHOOK_URL_NOT_ALLOWED", "url"
    )
    assert "cannot receive webhooks" in body["errorMessage"]
    with orm(db) as session:
        assert session.scalar(select(func.count()).select_from(WebhookSubscription)) == 0


def test_patching_to_an_unsafe_url_is_refused(strict_api: TestClient) -> None:
    created = subscribe(strict_api, "https://93.184.215.14/hook")  # a literal public address: no DNS needed
    response = strict_api.patch(f"/v1/webhooks/{created['webhookId']}", json={"url": "https://10.0.0.1/x"})
    assert_error(response, 400, "WEBHOOK_URL_NOT_ALLOWED", "url")
    assert (
        strict_api.get(f"/v1/webhooks/{created['webhookId']}").json()["url"] == "https://93.184.215.14/hook"
    )


def test_the_refusal_is_in_german_too(strict_api: TestClient) -> None:
    response = strict_api.post(
        "/v1/webhooks", json={"url": "https://10.0.0.1/"}, headers={"Accept-Language": "de"}
    )
    assert "kann keine Webhooks empfangen" in response.json()["errorMessage"]


def test_addresses_are_checked_again_at_delivery(
    api: TestClient, receiver: Receiver, strict_settings: Settings, db: Database, clock: FixedClock
) -> None:
    """A subscription made while allowed (or a name that now resolves elsewhere) is refused when sending."""
    # https, so only the address can be the reason for refusing it.
    webhook_id = subscribe(api, receiver.url.replace("http://127.0.0.1", "https://localhost"))["webhookId"]
    set_preference(api, 1, active=True)
    strict_worker: Worker = build_worker(strict_settings, db, clock=clock, listen=False)
    try:
        strict_worker.drain()
    finally:
        strict_worker.close()
    assert receiver.requests == []
    [delivery] = api.get(f"/v1/webhooks/{webhook_id}/deliveries").json()["result"]
    assert delivery["state"] == "PENDING"
    assert delivery["error"].startswith("refused: ")
    assert "localhost resolves to" in delivery["error"]
    assert delivery["error"].endswith("an address that is not public")
    assert "127.0.0.1" not in delivery["error"]  # the operator's addresses are not told


def test_the_key_and_scope_are_checked_before_any_name_is_looked_up(
    strict_api: TestClient, db: Database, world: World, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked_up: list[str] = []
    monkeypatch.setattr(urlsafety, "checked_address", lambda host, *a, **k: looked_up.append(host))
    wrong_key = strict_api.post(
        "/v1/webhooks",
        json={"url": "https://internal.corp/x"},
        headers={"X-API-KEY": "sck_000000000000_nope"},
    )
    assert_error(wrong_key, 401, "AUTHENTICATION_FAILED")
    with db.transaction() as session:
        reader = make_key(session, world.studio_a, now=clock.now, scopes=[Scope.COMMUNICATION_READ])
    no_scope = strict_api.post(
        "/v1/webhooks", json={"url": "https://internal.corp/x"}, headers={"X-API-KEY": reader}
    )
    assert_error(no_scope, 403, "MISSING_SCOPE")
    assert looked_up == []
