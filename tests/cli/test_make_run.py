"""``make run`` (``studio-comms demo``, then ``studio-comms serve``) without
``STUDIO_COMMS_SECRET_KEY``: a key is generated into the var directory, private, and seals what the
service stores; the next start keeps it, so what was sealed still opens."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from studio_comms.core import secrets
from studio_comms.core.secrets import SecretBox
from tests.conftest import ADMIN_TOKEN
from tests.servers import STUDIO_COMMS, serve_process

AUTH_TOKEN = "0ddba11c" * 4  # a Twilio auth token is 32 hex characters
ACCOUNT_SID = "AC" + "fedcba9876543210" * 2


@pytest.mark.serial  # two starts of serve: run alone, with the time a loaded machine takes
@pytest.mark.timeout(600)
def test_make_run_generates_the_secret_key_into_the_var_directory_and_seals_with_it(
    tmp_path: Path,
    database_url: str,
    engine: Engine,
    created_studios: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("STUDIO_COMMS_SECRET_KEY", raising=False)  # as on a fresh clone
    var = tmp_path / "var"  # serve_process's var directory
    env = {**os.environ, "STUDIO_COMMS_DATABASE_URL": database_url, "STUDIO_COMMS_VAR_DIR": str(var)}
    demo = subprocess.run(
        [str(STUDIO_COMMS), "demo"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    studio_id = int(json.loads((var / "demo.json").read_text())["studioId"])
    created_studios.append(studio_id)
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    provider = f"/admin/v1/studios/{studio_id}/sms-provider"
    with serve_process(tmp_path, database_url, admin_token=ADMIN_TOKEN) as server:
        stored = httpx.put(
            server.base + provider,
            headers=admin,
            json={"accountSid": ACCOUNT_SID, "authToken": AUTH_TOKEN, "sender": "+4930901820"},
            timeout=60,
        )
        assert stored.status_code == 200, stored.text
    key_file = var / secrets.KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    keys = key_file.read_text().split()
    assert len(keys) == 1
    with engine.connect() as connection:
        sealed = connection.execute(
            text("SELECT auth_token FROM sms_provider_credentials WHERE studio_id = :studio"),
            {"studio": studio_id},
        ).scalar_one()
    assert AUTH_TOKEN not in sealed
    assert SecretBox(keys).open(sealed) == AUTH_TOKEN  # sealed with the generated key
    # The next start keeps the key: what was sealed still opens (the account answers, unchanged).
    with serve_process(tmp_path, database_url, name="again", admin_token=ADMIN_TOKEN) as server:
        again = httpx.get(server.base + provider, headers=admin, timeout=60)
    assert again.status_code == 200, again.text
    ports = ("statusCallbackUrl", "inboundUrl")  # each start serves on a port of its own
    assert {k: v for k, v in again.json().items() if k not in ports} == {
        k: v for k, v in stored.json().items() if k not in ports
    }
    assert key_file.read_text().split() == keys
