"""``studio-comms serve`` runs a worker in the API process: a change made over HTTP reaches the receiver."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from standardwebhooks.webhooks import Webhook

from tests.cleanup import purge_studios
from tests.receiver import Receiver
from tests.servers import STUDIO_COMMS, free_port, wait_until_live

ADMIN = {"Authorization": "Bearer serve-admin-token-0123456789abcdef"}


def _serve(
    tmp_path: Path, *args: str, database_url: str | None = None
) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = free_port()
    env = {
        **os.environ,
        "STUDIO_COMMS_DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'serve.db'}",
        "STUDIO_COMMS_VAR_DIR": str(tmp_path / "var"),
        "STUDIO_COMMS_ADMIN_TOKEN": "serve-admin-token-0123456789abcdef",
        "STUDIO_COMMS_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
        "STUDIO_COMMS_WORKER_POLL_SECONDS": "0.1",
    }
    env.pop("STUDIO_COMMS_REDIS_URL", None)
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(STUDIO_COMMS), "serve", "--port", str(port), *args],
            env=env,
            cwd=tmp_path,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    wait_until_live(base, process, log)
    return process, base, log


def _setup(
    base: str, receiver: Receiver, studios: list[int] | None = None
) -> tuple[httpx.Client, dict[str, str]]:
    studio = httpx.post(f"{base}/admin/v1/studios", json={"name": "Served"}, headers=ADMIN).json()["studioId"]
    if studios is not None:
        studios.append(studio)
    key = httpx.post(
        f"{base}/admin/v1/studios/{studio}/api-keys",
        json={"name": "k", "scopes": ["COMMUNICATION_PREFERENCES_WRITE", "WEBHOOKS_MANAGE"]},
        headers=ADMIN,
    ).json()["apiKey"]
    customer = httpx.put(
        f"{base}/admin/v1/studios/{studio}/customers/7",
        json={"firstName": "A", "lastName": "B"},
        headers=ADMIN,
    )
    assert customer.status_code == 201, customer.text
    api = httpx.Client(base_url=base, headers={"X-API-KEY": key}, timeout=10)
    created = api.post("/v1/webhooks", json={"url": receiver.url})
    assert created.status_code == 201, created.text
    prefs = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}
    ]
    assert api.put("/v1/communications/7/communication-preferences", json=prefs).status_code == 200
    return api, created.json()


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.terminate()
    try:
        return process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


@pytest.fixture
def served_studios(engine: Engine) -> Iterator[list[int]]:
    studios: list[int] = []
    yield studios
    purge_studios(engine, studios)


def test_serve_delivers_webhooks_with_its_embedded_worker(
    tmp_path: Path, receiver: Receiver, database_url: str, served_studios: list[int]
) -> None:
    """On this run's database: SQLite shares the API's pool, PostgreSQL gets the worker its own."""
    process, base, log = _serve(tmp_path, database_url=database_url)
    try:
        api, created = _setup(base, receiver, served_studios)
        [request] = receiver.wait_for(1, timeout=15)
        assert request.json["entityId"] == 7
        assert Webhook(created["signingSecret"]).verify(request.body, request.headers) == request.json
        api.close()
    finally:
        # uvicorn re-raises SIGTERM after its graceful shutdown.
        assert _stop(process) in (0, -15), log.read_text()
    assert "outbox worker" in log.read_text()


def test_serve_no_worker_leaves_events_queued(tmp_path: Path, receiver: Receiver) -> None:
    process, base, _log = _serve(tmp_path, "--no-worker")
    try:
        api, _ = _setup(base, receiver)
        api.close()
        stats = subprocess.run(
            [str(STUDIO_COMMS), "outbox", "stats"],
            env={**os.environ, "STUDIO_COMMS_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}"},
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
    finally:
        _stop(process)
    assert receiver.requests == []
    [event_row] = [line for line in stats.stdout.splitlines() if " event " in line]
    # kind, pending, leased, dead, done: the event waits for a worker.
    assert [cell.strip() for cell in event_row.split("│")[1:6]] == ["event", "1", "0", "0", "0"], stats.stdout
    assert float(event_row.split("│")[6]) >= 0  # how long the oldest due item has waited
