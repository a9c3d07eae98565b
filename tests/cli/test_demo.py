"""`studio-comms demo`: the demo studio of ``make run``."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from studio_comms.main import create_app
from studio_comms.settings import Settings
from tests.cleanup import purge_studios
from tests.cli.helpers import (
    CUSTOMER,
    PREFS,
    assert_clean_exit,
    invoke,
)


def test_demo_seeds_once_and_prints_a_working_key(
    runner: CliRunner, var_dir: Path, created_studios: list[int], committed_client: TestClient
) -> None:
    first = invoke(runner, "demo")
    state_file = var_dir / "demo.json"
    if state_file.exists():
        created_studios.append(int(json.loads(state_file.read_text())["studioId"]))
    assert_clean_exit(first, 0)
    assert "Seeded" in first.output
    key_lines = [line for line in first.stdout.splitlines() if line.startswith("Demo API key: ")]
    assert len(key_lines) == 1
    api_key = key_lines[0].removeprefix("Demo API key: ")
    assert re.fullmatch(r"sck_[0-9a-f]{12}_[A-Za-z0-9_-]{32,}", api_key)

    state = json.loads(state_file.read_text())
    assert state["apiKey"] == api_key
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    seeded = re.search(r"Seeded demo studio (\d+)", first.output)
    assert seeded is not None
    assert int(seeded.group(1)) == state["studioId"]

    second = invoke(runner, "demo")
    assert_clean_exit(second, 0)
    assert "Seeded" not in second.output
    assert [line for line in second.stdout.splitlines() if line.startswith("Demo API key: ")] == key_lines
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600

    for customer_id in range(1, 6):
        response = committed_client.get(PREFS.format(customer_id), headers={"X-API-KEY": api_key})
        assert response.status_code == 200, response.text
        assert [entry["messageCategory"] for entry in response.json()] == [
            "CONTRACT",
            "GENERAL",
            "APPOINTMENT",
            "NEWSLETTER",
            "LOYALTY_PROGRAM",
        ]
    missing = committed_client.get(PREFS.format(6), headers={"X-API-KEY": api_key})
    assert missing.status_code == 404
    assert missing.json()["errorCode"] == "CUSTOMER_NOT_FOUND"
    erika = committed_client.get(CUSTOMER.format(state["studioId"], 1))
    assert erika.status_code == 200
    assert erika.json()["email"] == "erika@example.org"


def test_demo_prints_a_working_preference_center_link(
    runner: CliRunner, var_dir: Path, created_studios: list[int], database_url: str
) -> None:
    result = invoke(runner, "demo")
    created_studios.append(int(json.loads((var_dir / "demo.json").read_text())["studioId"]))
    assert_clean_exit(result, 0)
    prefix = "Preference center for demo customer 1: "
    lines = [line for line in result.stdout.splitlines() if line.startswith(prefix)]
    assert len(lines) == 1
    url = lines[0].removeprefix(prefix)
    assert url.startswith("http://127.0.0.1:8000/preferences/")
    # No STUDIO_COMMS_LINK_SECRET: one was generated, private, and signs the next run's links too.
    assert stat.S_IMODE((var_dir / "link-secret").stat().st_mode) == 0o600
    app = create_app(Settings(database_url=database_url, var_dir=var_dir))
    try:
        with TestClient(app) as client:
            page = client.get(url.removeprefix("http://127.0.0.1:8000"))
    finally:
        app.state.runtime.database.engine.dispose()
    assert page.status_code == 200, page.text
    assert "Demo Studio" in page.text
    assert '<html lang="de">' in page.text  # Erika speaks German


def test_demo_seeds_again_when_its_studio_is_gone(
    runner: CliRunner, var_dir: Path, created_studios: list[int], engine: Engine
) -> None:
    first = invoke(runner, "demo")
    assert_clean_exit(first, 0)
    old = json.loads((var_dir / "demo.json").read_text())
    purge_studios(engine, [int(old["studioId"])])

    second = invoke(runner, "demo")
    assert_clean_exit(second, 0)
    new = json.loads((var_dir / "demo.json").read_text())
    created_studios.append(int(new["studioId"]))
    assert "Seeded" in second.output
    assert f"Demo API key: {new['apiKey']}" in second.stdout
    assert new["apiKey"] != old["apiKey"]
    with engine.connect() as connection:
        count = connection.execute(
            text("SELECT count(*) FROM customers WHERE studio_id = :studio"), {"studio": new["studioId"]}
        ).scalar_one()
    assert count == 5
