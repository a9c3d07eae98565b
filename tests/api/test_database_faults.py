"""Database faults answer 503 SERVICE_UNAVAILABLE with Retry-After on every path, never 500, and the
service recovers by itself; an unexpected error is a 500 ErrorResponse on a connection that stays open."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from studio_comms.core.dbfaults import OUTAGE
from studio_comms.db.database import Database
from studio_comms.db.engine import make_engine, normalize_url
from studio_comms.main import create_app
from studio_comms.settings import Settings
from tests.conftest import ADMIN_TOKEN, FixedClock, postgres_admin_url
from tests.factories import World
from tests.faults import BackendKiller, backend_killer, database_away
from tests.servers import serve_process, server_thread

PREFS = "/v1/communications/1/communication-preferences"
OPT_IN = [{"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}]
THREAD = {
    "communicationThreadStatus": "CREATED",
    "subject": "Hello",
    "content": "A message",
    "communicationDirection": "INCOMING",
    "communicationChannel": "EMAIL",
}


@pytest.fixture
def own_engine(database_url: str) -> Iterator[Engine]:
    """An engine of the app's own, so the faults touch no other test's connections."""
    engine = make_engine(database_url, pool_size=2)
    yield engine
    engine.dispose()


@pytest.fixture
def faulty(
    own_engine: Engine, settings: Settings, clock: FixedClock, committed_world: World
) -> Iterator[tuple[TestClient, BackendKiller, World]]:
    # Webhooks to loopback URLs (no DNS needed).
    settings = settings.model_copy(update={"webhook_allow_private_networks": True})
    app = create_app(settings, database=Database(own_engine), clock=clock)
    headers = {"X-API-KEY": committed_world.key_a}
    # The outage log is per process and throttled: an earlier test's outage in this xdist worker
    # would otherwise swallow this test's first warning. Start as a fresh process does.
    OUTAGE.__init__(OUTAGE.interval)  # type: ignore[misc]
    with (
        backend_killer(own_engine, postgres_admin_url()) as killer,
        TestClient(app, headers=headers, raise_server_exceptions=False) as client,
    ):
        yield client, killer, committed_world


def _preference_page(client: TestClient) -> str:
    url: str = client.post("/v1/communications/1/preference-links", json={}).json()["url"]
    return url[url.index("/preferences/") :]


def _requests(client: TestClient, world: World) -> list[tuple[str, str, dict[str, Any]]]:
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    return [
        ("GET", PREFS, {}),  # raw SQL read path
        (
            "GET",
            "/v1/communications/1/communication-permission?messageCategory=GENERAL&communicationChannel=EMAIL",
            {},
        ),
        ("HEAD", PREFS, {}),
        ("GET", PREFS + "/history", {}),  # ORM read
        ("PUT", PREFS, {"json": OPT_IN}),  # ORM write
        ("PUT", PREFS, {"json": OPT_IN, "headers": {"Idempotency-Key": "fault-1"}}),
        ("POST", "/v1/communications/1/threads", {"json": THREAD}),
        ("GET", f"/admin/v1/studios/{world.studio_a}", {"headers": admin}),
        (
            "PUT",
            f"/admin/v1/studios/{world.studio_a}/customers/9",
            {"headers": admin, "json": {"firstName": "A", "lastName": "B"}},
        ),
        ("GET", _preference_page(client), {}),  # member page
        ("GET", "/readyz", {}),
    ]


@pytest.mark.postgres_only
def test_a_lost_connection_is_503_with_retry_after_on_every_path_then_recovers(
    faulty: tuple[TestClient, BackendKiller, World],
) -> None:
    client, killer, world = faulty
    requests = _requests(client, world)
    for method, path, options in requests:
        # Each request looks its key up in the database: HEAD reads nothing else, and a key
        # remembered for its second (core.principals) would answer it without a connection.
        client.app.state.runtime.principals.clear()  # type: ignore[attr-defined]
        killer.at_next_checkout()
        failed = client.request(method, path, **options)
        assert failed.status_code == 503, (method, path, failed.status_code, failed.text[:300])
        assert failed.headers["Retry-After"] == "2", (method, path)
        if path.startswith("/preferences/"):
            assert "text/html" in failed.headers["content-type"]
        elif method != "HEAD":
            assert failed.json()["errorCode"] == "SERVICE_UNAVAILABLE", (method, path)
        recovered = client.request(method, path, **options)
        assert recovered.status_code < 300, (method, path, recovered.status_code, recovered.text[:300])
    assert killer.killed == len(requests)


@pytest.mark.postgres_only
def test_a_connection_lost_mid_transaction_writes_nothing_and_is_503(
    faulty: tuple[TestClient, BackendKiller, World],
) -> None:
    client, killer, _ = faulty
    before = client.get(PREFS + "/history").json()["result"]
    killer.before_statement(r"^INSERT INTO consent_ledger")
    failed = client.put(PREFS, json=OPT_IN, headers={"Idempotency-Key": "mid-1"})
    assert failed.status_code == 503, failed.text
    assert failed.json()["errorCode"] == "SERVICE_UNAVAILABLE"
    assert client.get(PREFS + "/history").json()["result"] == before
    # Nothing was stored for the key either: the retry does the work.
    retried = client.put(PREFS, json=OPT_IN, headers={"Idempotency-Key": "mid-1"})
    assert retried.status_code == 200
    assert "Idempotent-Replayed" not in retried.headers
    assert len(client.get(PREFS + "/history").json()["result"]) == len(before) + 1


def _raw_request(sock: socket.socket, path: str, key: str) -> bytes:
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nX-API-KEY: {key}\r\n\r\n".encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(65536)
    head, _, body = answer.partition(b"\r\n\r\n")
    length = int(
        next(
            line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def test_a_500_leaves_the_keep_alive_connection_usable(
    live: tuple[FastAPI, World], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from studio_comms.preferences import service

    app, world = live
    real = service.get_preferences

    def explode_for_customer_2(connection: Any, studio_id: int, customer_id: int) -> Any:
        if customer_id == 2:
            raise RuntimeError("boom")
        return real(connection, studio_id, customer_id)

    monkeypatch.setattr(service, "get_preferences", explode_for_customer_2)
    with server_thread(app, settings) as base:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            failed = _raw_request(sock, "/v1/communications/2/communication-preferences", world.key_a)
            assert failed.startswith(b"HTTP/1.1 500 "), failed[:200]
            assert b'"errorCode":"INTERNAL_ERROR"' in failed
            assert b"connection: close" not in failed.lower()
            # The same socket serves the next request.
            answered = _raw_request(sock, PREFS, world.key_a)
            assert answered.startswith(b"HTTP/1.1 200 "), answered[:200]


def _pg_admin() -> Engine:
    return create_engine(normalize_url(postgres_admin_url()), isolation_level="AUTOCOMMIT")


@pytest.mark.postgres_only
@pytest.mark.serial
def test_postgres_going_away_under_read_and_write_load_answers_only_2xx_or_503(
    tmp_path: Path, database_url: str, committed_world: World
) -> None:
    """Three times: every connection of the server is terminated and the database refuses new ones
    for a second (what a restart looks like to the service, without restarting the cluster that
    other test runs share). Meanwhile readers and writers keep going."""
    name = make_url(database_url).database
    app_name = f"fault-load-{uuid.uuid4().hex[:8]}"
    served_url = f"{database_url}?application_name={app_name}"
    statuses: Counter[int] = Counter()
    retry_after: set[str] = set()
    stop = threading.Event()

    def load(requests: list[tuple[str, str, dict[str, Any]]]) -> None:
        with httpx.Client(
            base_url=server.base, headers={"X-API-KEY": committed_world.key_a}, timeout=30
        ) as client:
            while not stop.is_set():
                for method, path, options in requests:
                    response = client.request(method, path, **options)
                    statuses[response.status_code] += 1
                    if response.status_code == 503:
                        retry_after.add(response.headers.get("Retry-After", ""))

    permission = (
        "/v1/communications/2/communication-permission?messageCategory=GENERAL&communicationChannel=EMAIL"
    )
    reads = [("GET", PREFS, {}), ("GET", permission, {}), ("HEAD", PREFS, {})]
    writes = [
        ("PUT", "/v1/communications/3/communication-preferences", {"json": OPT_IN}),
        ("POST", "/v1/communications/3/threads", {"json": THREAD}),
    ]
    admin = _pg_admin()
    # The limit this load needs: a quick machine sends several thousand requests a minute per
    # endpoint, and a 429 would say nothing about the database going away (it failed make test).
    with serve_process(tmp_path, served_url, db_pool_size="4", rate_limit="1000000/minute") as server:
        workers = [threading.Thread(target=load, args=(mix,)) for mix in (reads, reads, writes, writes)]
        for worker in workers:
            worker.start()
        try:
            for _ in range(3):
                time.sleep(1.0)
                database_away(admin, name or "", app_name, 1.0)
            time.sleep(2.0)
            before_last = statuses[200]
            time.sleep(1.0)
        finally:
            stop.set()
            for worker in workers:
                worker.join(timeout=60)
            with admin.connect() as connection:
                connection.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
            admin.dispose()
        log = server.output()
    assert set(statuses) <= {200, 503}, (statuses, log[-3000:])
    assert statuses[503] > 0, "the database never went away under load"
    assert retry_after == {"2"}
    assert statuses[200] > before_last, "no success after the last outage: the service did not recover"
    assert "Traceback" not in log, log[-3000:]
    assert "unexpected error" not in log, log[-3000:]


PLANTED = [
    "Planted Erika Mustermann",
    "planted-erika@example.org",
    "Planted subject line",
    "Planted Agent Smith",
    "planted-idempotency-key",
    "planted-path-segment",
    "Planted key name",
]


@pytest.mark.postgres_only
def test_failed_writes_log_no_secret_and_no_personal_data(
    faulty: tuple[TestClient, BackendKiller, World], caplog: pytest.LogCaptureFixture
) -> None:
    client, killer, world = faulty
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    caplog.set_level(logging.INFO)
    writes: list[tuple[str, str, str, dict[str, Any]]] = [
        ("webhook_subscriptions", "POST", "/v1/webhooks",
         {"json": {"url": "http://127.0.0.1:9/planted-path-segment",
                   "description": "Planted Erika Mustermann"}}),
        ("api_keys", "POST", f"/admin/v1/studios/{world.studio_a}/api-keys",
         {"headers": admin, "json": {"name": "Planted key name", "scopes": ["WEBHOOKS_MANAGE"]}}),
        ("customers", "PUT", f"/admin/v1/studios/{world.studio_a}/customers/4242",
         {"headers": admin, "json": {"firstName": "Planted Erika Mustermann", "lastName": "X",
                                     "email": "planted-erika@example.org"}}),
        ("communications", "POST", "/v1/communications/1/threads",
         {"json": {**THREAD, "subject": "Planted subject line", "agent": "Planted Agent Smith"}}),
        ("idempotency_records", "PUT", PREFS,
         {"json": OPT_IN, "headers": {"Idempotency-Key": "planted-idempotency-key"}}),
    ]  # fmt: skip
    for table, method, path, options in writes:
        killer.before_statement(rf"^INSERT INTO {table}\b")
        response = client.request(method, path, **options)
        assert response.status_code == 503, (table, response.text)
        assert killer.killed, table
        killer.killed = 0
    logged = caplog.text
    assert "database unavailable" in logged  # the failures were logged ...
    for planted in PLANTED:  # ... without what the statements carried
        assert planted not in logged
    assert "whsec_" not in logged
    assert "sck_" not in logged
    assert not re.search(r"\b[0-9a-f]{64}\b", logged), "a key digest reached the log"
