"""``studio-comms serve`` as a real process, and readiness when the database cannot be reached."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from studio_comms.main import create_app
from studio_comms.settings import Settings

STUDIO_COMMS = Path(sys.executable).parent / "studio-comms"
STARTUP_SECONDS = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_live(base: str, process: subprocess.Popen[bytes], log: Path) -> httpx.Response:
    deadline = time.monotonic() + STARTUP_SECONDS
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            raise AssertionError(f"serve exited with {process.returncode}:\n{output}")
        try:
            response = httpx.get(f"{base}/healthz", timeout=1.0)
            if response.status_code == 200:
                return response
        except httpx.HTTPError as error:
            last_error = error
        time.sleep(0.1)
    raise AssertionError(f"/healthz did not answer 200 within {STARTUP_SECONDS} s: {last_error!r}")


def test_serve_starts_migrates_and_answers(tmp_path: Path) -> None:
    assert STUDIO_COMMS.exists(), STUDIO_COMMS
    port = free_port()
    database = tmp_path / "serve" / "studio-comms.db"
    env = {
        **os.environ,
        # Always a fresh SQLite file, also on the PostgreSQL run: this tests the process.
        "STUDIO_COMMS_DATABASE_URL": f"sqlite:///{database}",
        "STUDIO_COMMS_VAR_DIR": str(tmp_path / "var"),
        "STUDIO_COMMS_ADMIN_TOKEN": "serve-test-token",
    }
    for name in (
        "STUDIO_COMMS_REDIS_URL",
        "STUDIO_COMMS_PUBLIC_URL",
        "STUDIO_COMMS_PORT",
        "STUDIO_COMMS_HOST",
    ):
        env.pop(name, None)
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(STUDIO_COMMS), "serve", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        live = wait_until_live(base, process, log)
        assert live.json() == {"status": "ok"}
        assert live.headers["x-request-id"]

        ready = httpx.get(f"{base}/readyz", timeout=5.0)
        assert ready.status_code == 200
        assert ready.json() == {"status": "ok"}
        # serve applied the migrations to the new database file.
        assert database.exists()

        missing = httpx.get(f"{base}/no/such/path", timeout=5.0, headers={"Accept-Language": "de"})
        assert missing.status_code == 404
        body = missing.json()
        assert body["errorCode"] == "ROUTE_NOT_FOUND"
        assert "/no/such/path" in body["errorMessage"]
        assert missing.headers["content-type"].startswith("application/json")
        request_id = missing.headers["x-request-id"]
        assert request_id
        assert body["traceId"] == request_id

        echoed = httpx.get(f"{base}/nowhere", timeout=5.0, headers={"X-Request-Id": "trace-123"})
        assert echoed.status_code == 404
        assert echoed.headers["x-request-id"] == "trace-123"
        assert echoed.json()["traceId"] == "trace-123"

        unauthenticated = httpx.get(f"{base}/v1/communications/1/communication-preferences", timeout=5.0)
        assert unauthenticated.status_code == 401
        assert unauthenticated.json()["errorCode"] == "AUTHENTICATION_FAILED"

        # No STUDIO_COMMS_PUBLIC_URL: member links point where serve listens (--port), not to 8000.
        link = _preference_link(base)
        assert link.startswith(f"{base}/preferences/"), link
        assert httpx.get(link, timeout=5.0).status_code == 200
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _preference_link(base: str) -> str:
    admin = {"Authorization": "Bearer serve-test-token"}
    studio = httpx.post(f"{base}/admin/v1/studios", json={"name": "Serve"}, headers=admin, timeout=5.0).json()
    studios = f"{base}/admin/v1/studios/{studio['studioId']}"
    customer = {"firstName": "Erika", "lastName": "Mustermann"}
    assert httpx.put(f"{studios}/customers/1", json=customer, headers=admin, timeout=5.0).status_code == 201
    scopes = {"name": "links", "scopes": ["COMMUNICATION_PREFERENCES_WRITE"]}
    key = httpx.post(f"{studios}/api-keys", json=scopes, headers=admin, timeout=5.0).json()["apiKey"]
    created = httpx.post(
        f"{base}/v1/communications/1/preference-links", json={}, headers={"X-API-KEY": key}, timeout=5.0
    )
    assert created.status_code == 200, created.text
    url: str = created.json()["url"]
    return url


def test_readyz_is_503_when_the_database_is_unreachable() -> None:
    app = create_app(Settings(database_url="postgresql://postgres@127.0.0.1:1/none"))
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            assert client.get("/healthz").status_code == 200
            response = client.get("/readyz", headers={"X-Request-Id": "ready-check"})
            assert response.status_code == 503
            body = response.json()
            assert body["errorCode"] == "SERVICE_UNAVAILABLE"
            assert body["errorMessage"]
            assert body["traceId"] == "ready-check"
            assert response.headers["x-request-id"] == "ready-check"
            german = client.get("/readyz", headers={"Accept-Language": "de"})
            assert german.status_code == 503
            assert german.json()["errorCode"] == "SERVICE_UNAVAILABLE"
            assert german.json()["errorMessage"] != body["errorMessage"]
    finally:
        app.state.runtime.database.engine.dispose()
