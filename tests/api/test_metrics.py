"""``GET /metrics``: every family after real traffic (both lanes, a queued message, a webhook
attempt, a suppression, the outbox backlog read from the database), behind a bearer token, and no
label that names a customer, key or address. Several processes: tests/cli/test_metrics_processes.py."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from studio_comms.background import build_worker
from studio_comms.core import metrics
from studio_comms.core.dbfaults import as_app_error
from studio_comms.db.database import Database
from studio_comms.main import create_app
from studio_comms.outbox.worker import Worker
from studio_comms.settings import Settings
from tests.conftest import ADMIN_TOKEN, FixedClock
from tests.factories import World
from tests.receiver import Receiver, running_receiver
from tests.smtp_server import SmtpServer, running_smtp

METRICS_TOKEN = "test-metrics-token-0123456789abcdef"
PREFS_ROUTE = "/v1/communications/{customerId}/communication-preferences"
FAMILIES = {
    "studio_comms_http_request_duration_seconds": "histogram",
    "studio_comms_outbox_due_items": "gauge",
    "studio_comms_outbox_oldest_due_seconds": "gauge",
    "studio_comms_messages": "counter",
    "studio_comms_webhook_attempts": "counter",
    "studio_comms_rate_limited": "counter",
    "studio_comms_database_errors": "counter",
    "studio_comms_suppressions": "counter",
}


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with running_smtp() as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def settings(settings: Settings, smtp: SmtpServer) -> Settings:
    return settings.model_copy(
        update={
            "smtp_url": SecretStr(smtp.url()),
            "email_from": "news@studio.example",
            "webhook_allow_private_networks": True,
            "metrics_token": SecretStr(METRICS_TOKEN),
        }
    )


@pytest.fixture
def worker(settings: Settings, db: Database, clock: FixedClock) -> Iterator[Worker]:
    built = build_worker(settings, db, clock=clock, listen=False)
    yield built
    built.close()


def scrape(client: TestClient, token: str = METRICS_TOKEN) -> tuple[str, dict[str, Metric]]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return response.text, {family.name: family for family in text_string_to_metric_families(response.text)}


def value(family: Metric, sample_name: str, **labels: str) -> float:
    return sum(
        sample.value
        for sample in family.samples
        if sample.name == sample_name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def test_a_scrape_after_real_traffic_finds_every_family_with_sane_values(
    api: TestClient, admin: TestClient, world: World, worker: Worker, receiver: Receiver
) -> None:
    _, before = scrape(api)
    assert api.get("/v1/communications/1/communication-preferences").status_code == 200
    assert api.get("/no/such/page").status_code == 404
    response = api.post("/v1/webhooks", json={"url": receiver.url})
    assert response.status_code == 201, response.text
    body = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}
    ]
    assert api.put("/v1/communications/1/communication-preferences", json=body).status_code == 200
    while worker.drain():  # the event, then its webhook POST
        pass
    receiver.wait_for(1)
    message = {
        "messageCategory": "APPOINTMENT",
        "communicationChannel": "EMAIL",
        "subject": "Your class",
        "content": "Yoga at 18:00.",
    }
    response = api.post("/v1/communications/2/messages", json=message)
    assert response.status_code == 202, response.text
    response = admin.put(
        f"/admin/v1/studios/{world.studio_a}/customers/3/suppressions/EMAIL", json={"reason": "COMPLAINED"}
    )
    assert response.status_code == 200, response.text

    scraped, families = scrape(api)
    assert {name: family.type for name, family in families.items() if name in FAMILIES} == FAMILIES

    http = families["studio_comms_http_request_duration_seconds"]
    count = "studio_comms_http_request_duration_seconds_count"
    previous = before["studio_comms_http_request_duration_seconds"]
    assert value(http, count, method="GET", route=PREFS_ROUTE, status="200") == 1 + value(
        previous, count, method="GET", route=PREFS_ROUTE, status="200"
    )
    assert value(http, count, method="PUT", route=PREFS_ROUTE, status="200") >= 1
    assert value(http, count, route="unmatched", status="404") >= 1
    assert value(http, "studio_comms_http_request_duration_seconds_sum", route=PREFS_ROUTE) > 0
    assert {sample.labels["route"] for sample in http.samples} >= {PREFS_ROUTE, "/v1/webhooks", "unmatched"}

    messages = families["studio_comms_messages"]
    assert value(messages, "studio_comms_messages_total", channel="EMAIL", status="QUEUED") >= 1
    attempts = families["studio_comms_webhook_attempts"]
    assert value(attempts, "studio_comms_webhook_attempts_total", outcome="success") >= 1
    suppressions = families["studio_comms_suppressions"]
    assert value(suppressions, "studio_comms_suppressions_total", reason="COMPLAINED") >= 1

    # The queued message waits in the outbox: read from the database at the scrape.
    due = families["studio_comms_outbox_due_items"]
    assert value(due, "studio_comms_outbox_due_items", kind="message") == 1
    assert value(due, "studio_comms_outbox_due_items", kind="webhook") == 0
    oldest = families["studio_comms_outbox_oldest_due_seconds"]
    assert {sample.labels["kind"] for sample in oldest.samples} == {"event", "message", "webhook"}
    assert all(sample.value >= 0 for sample in oldest.samples)

    # The secret-grep: no label names a customer, key, token or address.
    for secret in (world.key_a, ADMIN_TOKEN, METRICS_TOKEN, receiver.url, "@"):
        assert secret not in scraped
    for family in families.values():
        for sample in family.samples:
            for label, text_ in sample.labels.items():
                if label == "route":  # a template or "unmatched", never a raw path with ids
                    assert text_ == "unmatched" or text_.startswith("/"), text_
                    assert not any(part.isdigit() for part in text_.split("/")), text_
                assert "example" not in text_, (label, text_)
                assert "Muster" not in text_, (label, text_)


def test_the_hot_lane_and_fastapi_count_a_request_alike(
    settings: Settings, db: Database, world: World
) -> None:
    counted = []
    for hot_paths in (True, False):
        app = create_app(settings.model_copy(update={"hot_paths": hot_paths}), database=db)
        with TestClient(app, headers={"X-API-KEY": world.key_a}) as client:
            _, before = scrape(client)
            assert client.get("/v1/communications/1/communication-preferences").status_code == 200
            _, after = scrape(client)
        name = "studio_comms_http_request_duration_seconds"
        labels = {"method": "GET", "route": PREFS_ROUTE, "status": "200"}
        counted.append(
            value(after[name], f"{name}_count", **labels) - value(before[name], f"{name}_count", **labels)
        )
    assert counted == [1, 1]


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer ", "Bearer wrong-token-0123456789abcdef", f"Basic {METRICS_TOKEN}", METRICS_TOKEN],
)
def test_a_scrape_without_the_token_is_401(client: TestClient, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["errorCode"] == "AUTHENTICATION_FAILED"
    assert "metrics token" in response.json()["errorMessage"]
    assert "studio_comms" not in response.text


def test_the_operator_token_scrapes_too_and_no_token_set_means_none_does(
    client: TestClient, settings: Settings, db: Database
) -> None:
    scrape(client, ADMIN_TOKEN)
    bare = settings.model_copy(update={"metrics_token": None, "admin_token": None})
    with TestClient(create_app(bare, database=db)) as unset:
        assert unset.get("/metrics").status_code == 401
        response = unset.get("/metrics", headers={"Authorization": "Bearer "})
        assert response.status_code == 401
        response = unset.get("/metrics", headers={"Authorization": "Bearer None"})
        assert response.status_code == 401


def test_rate_limited_requests_are_counted(settings: Settings, db: Database, world: World) -> None:
    app: FastAPI = create_app(settings.model_copy(update={"rate_limit": "2/minute"}), database=db)
    with TestClient(app, headers={"X-API-KEY": world.key_a}) as client:
        _, before = scrape(client)
        path = "/v1/communications/1/communication-preferences"
        statuses = [client.get(path).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        _, after = scrape(client)
    name = "studio_comms_rate_limited"
    assert value(after[name], f"{name}_total") == value(before[name], f"{name}_total") + 1


def test_database_errors_are_counted_by_kind(engine: Engine, world: World) -> None:
    family = metrics.current().database_errors
    before = family.labels("conflict")._value.get()
    with pytest.raises(IntegrityError) as raised, engine.begin() as connection:
        # A real driver error: a second studio row with the first one's primary key.
        connection.execute(text("INSERT INTO studios SELECT * FROM studios"))
    assert as_app_error(raised.value) is not None
    assert family.labels("conflict")._value.get() == before + 1


def test_the_alert_rules_and_the_dashboard_read_only_families_the_service_exports() -> None:
    ops = Path(__file__).resolve().parents[2] / "docs" / "ops"
    rules = yaml.safe_load((ops / "alerts.yml").read_text())
    expressions = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    assert {"StudioCommsOutboxLagging", "StudioCommsHighErrorRate", "StudioCommsComplaintRateHigh"} <= {
        rule["alert"] for group in rules["groups"] for rule in group["rules"]
    }
    dashboard = json.loads((ops / "dashboard.json").read_text())
    expressions += [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    named = set(re.findall(r"studio_comms_\w+", " ".join(expressions)))
    suffixes = ("", "_total", "_count", "_sum", "_bucket")
    exported = {family + suffix for family in FAMILIES for suffix in suffixes}
    assert named <= exported, named - exported
    assert {family for family in FAMILIES if any(name.startswith(family) for name in named)} == set(FAMILIES)
