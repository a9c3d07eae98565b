"""No provider token and no webhook secret sits in the database in clear: not in its tables, not in
an idempotency record, not anywhere in the SQLite file. Rows stored in clear before sealing existed
are sealed by the migration, and ``studio-comms secrets rotate`` moves every secret to a new key."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from studio_comms.core import secrets
from studio_comms.core.secrets import SecretBox
from studio_comms.db.database import Database
from studio_comms.db.engine import normalize_url
from studio_comms.main import create_app
from studio_comms.settings import Settings
from tests.conftest import ADMIN_TOKEN, FixedClock, backend
from tests.factories import World
from tests.servers import STUDIO_COMMS

AUTH_TOKEN = "f00dfeed" * 4  # a Twilio auth token is 32 hex characters
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
MAILGUN_SIGNING_KEY = "key-" + "5eed1e55" * 4
TABLES = (
    "sms_provider_credentials",
    "mail_provider_credentials",
    "webhook_subscriptions",
    "idempotency_records",
)


@pytest.fixture
def live(
    settings: Settings, engine: Engine, clock: FixedClock, committed_world: World
) -> tuple[FastAPI, World]:
    """An app on committed rows that accepts webhook receivers on loopback (no DNS here)."""
    settings = settings.model_copy(update={"webhook_allow_private_networks": True})
    return create_app(settings, database=Database(engine), clock=clock), committed_world


def _database_text(engine: Engine, database_url: str) -> bytes:
    """What someone holding the database sees: the SQLite files' bytes, or every row of the tables."""
    if backend() == "sqlite":
        path = Path(make_url(database_url).database or "")
        files = [path, path.with_name(path.name + "-wal")]
        return b"".join(file.read_bytes() for file in files if file.exists())
    with engine.connect() as connection:
        # Every table, not only those meant to hold secrets: a token copied anywhere (an outbox
        # payload, a ledger entry, a delivery) would be in clear there.
        tables = list(
            connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            ).scalars()
        )
        assert set(TABLES) <= set(tables), tables
        return b"\n".join(
            str(row).encode()
            for table in tables
            for row in connection.execute(text(f'SELECT * FROM "{table}"'))  # noqa: S608
        )


def test_tokens_and_webhook_secrets_are_nowhere_in_the_database_in_clear(
    live: tuple[FastAPI, World], engine: Engine, database_url: str
) -> None:
    app, world = live
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with TestClient(app) as client:
        stored = client.put(
            f"/admin/v1/studios/{world.studio_a}/sms-provider",
            headers=admin,
            json={"accountSid": ACCOUNT_SID, "authToken": AUTH_TOKEN, "sender": "+4930901820"},
        )
        assert stored.status_code == 200, stored.text
        relay = client.put(
            f"/admin/v1/studios/{world.studio_a}/mail-provider",
            headers=admin,
            json={"provider": "MAILGUN", "signingKey": MAILGUN_SIGNING_KEY},
        )
        assert relay.status_code == 200, relay.text
        key = {"X-API-KEY": world.key_a, "Idempotency-Key": "create-hook-1"}
        hook = {"url": "http://127.0.0.1:9/receiver"}
        created = client.post("/v1/webhooks", json=hook, headers=key)
        assert created.status_code == 201, created.text
        # The replay still shows the credentials, from a sealed copy.
        replayed = client.post("/v1/webhooks", json=hook, headers=key)
        assert replayed.headers.get("Idempotent-Replayed") == "true"
        assert replayed.json() == created.json()
        rotated = client.post(
            f"/v1/webhooks/{created.json()['webhookId']}/rotate-secrets",
            headers=key | {"Idempotency-Key": "rotate-1"},
        )
        assert rotated.status_code == 200, rotated.text
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))  # SQLite: the WAL holds what is not checkpointed yet
    everything = _database_text(engine, database_url)
    plain = [
        AUTH_TOKEN,
        MAILGUN_SIGNING_KEY,
        created.json()["signingSecret"],
        created.json()["apiKey"],
        rotated.json()["signingSecret"],
        rotated.json()["apiKey"],
    ]
    assert ACCOUNT_SID.encode() in everything  # the search does see what is stored in clear
    for secret in plain:
        assert secret.encode() not in everything
        assert secret.split("_", 1)[-1].encode() not in everything  # also without "whsec_"
    with engine.connect() as connection:
        token = connection.execute(
            text("SELECT auth_token FROM sms_provider_credentials WHERE studio_id = :s"),
            {"s": world.studio_a},
        ).scalar_one()
    assert secrets.box().open(token) == AUTH_TOKEN


def _signing_secret(database_url: str, studio_id: int, webhook_id: int) -> str:
    # An engine of its own: a pooled SQLite connection may still read a snapshot from before.
    reader = create_engine(normalize_url(database_url))
    try:
        with reader.connect() as connection:
            stored: str = connection.execute(
                text("SELECT signing_secret FROM webhook_subscriptions WHERE studio_id = :s AND id = :id"),
                {"s": studio_id, "id": webhook_id},
            ).scalar_one()
        return stored
    finally:
        reader.dispose()


def test_rotate_moves_every_stored_secret_to_the_new_key(
    live: tuple[FastAPI, World], database_url: str, tmp_path: Path
) -> None:
    app, world = live
    old = os.environ["STUDIO_COMMS_SECRET_KEY"]
    new = secrets.new_key()
    with TestClient(app) as client:
        created = client.post(
            "/v1/webhooks", json={"url": "http://127.0.0.1:9/r"}, headers={"X-API-KEY": world.key_a}
        ).json()
    before = _signing_secret(database_url, world.studio_a, created["webhookId"])
    env = {
        **os.environ,
        "STUDIO_COMMS_DATABASE_URL": database_url,
        "STUDIO_COMMS_VAR_DIR": str(tmp_path / "var"),
        "STUDIO_COMMS_SECRET_KEY": f"{new},{old}",
    }
    result = subprocess.run(
        [str(STUDIO_COMMS), "secrets", "rotate"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Sealed" in result.stdout
    stored = _signing_secret(database_url, world.studio_a, created["webhookId"])
    assert stored != before
    assert SecretBox([new]).open(stored) == created["signingSecret"]
    key = subprocess.run(
        [str(STUDIO_COMMS), "secrets", "new-key"], env=env, capture_output=True, text=True, timeout=60
    ).stdout.strip()
    assert SecretBox([key]).open(SecretBox([key]).seal("x")) == "x"
