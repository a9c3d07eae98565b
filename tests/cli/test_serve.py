"""``studio-comms serve`` as a real process, and readiness when the database cannot be reached."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from studio_comms.main import create_app
from studio_comms.settings import Settings
from tests.servers import STUDIO_COMMS, free_port, serve_process

SERVE_TOKEN = "serve-test-token-0123456789"


def test_serve_starts_migrates_and_answers(tmp_path: Path) -> None:
    assert STUDIO_COMMS.exists(), STUDIO_COMMS
    # Always a fresh SQLite file, also on the PostgreSQL run: this tests the process.
    database = tmp_path / "serve" / "studio-comms.db"
    with serve_process(tmp_path, f"sqlite:///{database}", worker=True, admin_token=SERVE_TOKEN) as server:
        base = server.base
        live = httpx.get(f"{base}/healthz", timeout=5.0)
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


def _preference_link(base: str) -> str:
    admin = {"Authorization": f"Bearer {SERVE_TOKEN}"}
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


def test_a_short_operator_token_is_refused_at_start_with_a_clear_message(tmp_path: Path) -> None:
    env = {**os.environ, "STUDIO_COMMS_ADMIN_TOKEN": "x" * 23, "STUDIO_COMMS_VAR_DIR": str(tmp_path)}
    started = subprocess.run(
        [str(STUDIO_COMMS), "serve", "--port", str(free_port())],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert started.returncode == 2
    output = " ".join((started.stdout + started.stderr).split())
    expected = "Invalid configuration STUDIO_COMMS_ADMIN_TOKEN: admin_token must be at least 24 characters"
    assert expected in output
    assert "Traceback" not in output


def test_operator_token_length_rules() -> None:
    with pytest.raises(ValueError, match="at least 24 characters"):
        Settings(admin_token="x" * 23)  # type: ignore[arg-type]
    assert Settings(admin_token="x" * 24).admin_token is not None  # type: ignore[arg-type]
    # Empty means unset: every /admin route answers 401.
    assert Settings(admin_token="").admin_token is None  # type: ignore[arg-type]
