"""The ``studio-comms`` command line. Each command commits, so these tests commit real rows and
remove every studio they create (``purge_studio``) at the end."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from studio_comms.main import create_app
from studio_comms.settings import Settings
from tests.cleanup import purge_studios
from tests.cli.conftest import assert_clean_exit, invoke, last_json, make_studio, squashed

PREFS = "/v1/communications/{}/communication-preferences"
CUSTOMER = "/admin/v1/studios/{}/customers/{}"
SETTINGS = "/admin/v1/studios/{}/communication-settings"
UNKNOWN_STUDIO = 2**62


# --- demo ------------------------------------------------------------------------------------------


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


# --- studios and keys --------------------------------------------------------------------------------


def test_studios_create_prints_the_studio_as_json(
    runner: CliRunner, created_studios: list[int], committed_client: TestClient
) -> None:
    result = invoke(
        runner, "studios", "create", "--name", "Fit Nord", "--language", "en", "--time-zone", "Europe/London"
    )
    assert_clean_exit(result, 0)
    body = last_json(result)
    created_studios.append(int(body["studioId"]))
    assert body == {
        "studioId": body["studioId"],
        "name": "Fit Nord",
        "language": "en",
        "timeZone": "Europe/London",
        "consentEnforcement": "RECORD",
        "consentEnforcementChosen": False,
    }
    fetched = committed_client.get(f"/admin/v1/studios/{body['studioId']}")
    assert fetched.status_code == 200
    assert fetched.json() == body


def test_studios_create_defaults(runner: CliRunner, created_studios: list[int]) -> None:
    result = invoke(runner, "studios", "create", "--name", "Fit Süd")
    assert_clean_exit(result, 0)
    body = last_json(result)
    created_studios.append(int(body["studioId"]))
    assert (body["name"], body["language"], body["timeZone"]) == ("Fit Süd", "de", "Europe/Berlin")


@pytest.mark.parametrize(
    "args",
    [["--name", ""], ["--name", "X", "--time-zone", "Mars/Olympus"], ["--name", "X", "--language", "german"]],
    ids=["empty-name", "bad-zone", "bad-language"],
)
def test_studios_create_refuses_invalid_input(runner: CliRunner, engine: Engine, args: list[str]) -> None:
    with engine.connect() as connection:
        before = connection.execute(text("SELECT count(*) FROM studios")).scalar_one()
    result = invoke(runner, "studios", "create", *args)
    assert_clean_exit(result, 1)
    assert "Invalid studio" in result.output
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM studios")).scalar_one() == before


def test_studios_create_reports_a_bad_zone_containing_markup_cleanly(
    runner: CliRunner, engine: Engine
) -> None:
    """The invalid value is echoed in the message; Rich must not read it as markup and crash."""
    result = invoke(runner, "studios", "create", "--name", "X", "--time-zone", "[/x]")
    assert_clean_exit(result, 1)
    assert "Invalid studio" in result.output


def test_keys_create_with_one_scope(
    runner: CliRunner, created_studios: list[int], committed_client: TestClient
) -> None:
    studio_id = make_studio(runner, created_studios)
    customer = committed_client.put(CUSTOMER.format(studio_id, 1), json={"firstName": "A", "lastName": "B"})
    assert customer.status_code == 201
    result = invoke(
        runner,
        "keys",
        "create",
        "--studio",
        str(studio_id),
        "--name",
        "k",
        "--scope",
        "COMMUNICATION_PREFERENCES_READ",
    )
    assert_clean_exit(result, 0)
    created = last_json(result)
    assert created["name"] == "k"
    assert created["scopes"] == ["COMMUNICATION_PREFERENCES_READ"]
    assert created["apiKey"].startswith("sck_")

    headers = {"X-API-KEY": created["apiKey"]}
    assert committed_client.get(PREFS.format(1), headers=headers).status_code == 200
    refused = committed_client.put(PREFS.format(1), headers=headers, json=[])
    assert refused.status_code == 403
    assert refused.json()["errorCode"] == "MISSING_SCOPE"
    listed = committed_client.get(f"/admin/v1/studios/{studio_id}/api-keys").json()
    assert [(k["keyId"], k["scopes"]) for k in listed] == [
        (created["keyId"], ["COMMUNICATION_PREFERENCES_READ"])
    ]


def test_keys_create_without_scope_gets_all_scopes(runner: CliRunner, created_studios: list[int]) -> None:
    studio_id = make_studio(runner, created_studios)
    result = invoke(runner, "keys", "create", "--studio", str(studio_id), "--name", "all")
    assert_clean_exit(result, 0)
    assert last_json(result)["scopes"] == [
        "COMMUNICATION_PREFERENCES_READ",
        "COMMUNICATION_PREFERENCES_WRITE",
        "COMMUNICATION_READ",
        "COMMUNICATION_WRITE",
        "WEBHOOKS_MANAGE",
        "STUDIO_READ",
    ]


def test_keys_create_for_unknown_studio_fails(runner: CliRunner) -> None:
    result = invoke(runner, "keys", "create", "--studio", str(UNKNOWN_STUDIO), "--name", "k")
    assert_clean_exit(result, 1)
    assert "STUDIO_NOT_FOUND" in result.output


def test_keys_create_with_unknown_scope_is_a_usage_error(
    runner: CliRunner, created_studios: list[int]
) -> None:
    studio_id = make_studio(runner, created_studios)
    result = invoke(runner, "keys", "create", "--studio", str(studio_id), "--name", "k", "--scope", "ADMIN")
    assert result.exit_code == 2
    assert "ADMIN" in result.output


# --- customers import --------------------------------------------------------------------------------


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(["customerId,firstName,lastName,email,phoneNumber,language", *rows]) + "\n")
    return path


def test_customers_import_imports_every_row(
    runner: CliRunner, tmp_path: Path, created_studios: list[int], committed_client: TestClient
) -> None:
    studio_id = make_studio(runner, created_studios)
    file = write_csv(
        tmp_path / "customers.csv",
        [
            "1,Erika,Mustermann,erika@example.org,+4915112345671,de",
            "2,Max,Mustermann,,,",
            "3,Jane,Doe,jane@example.org,,en",
        ],
    )
    result = invoke(runner, "customers", "import", "--studio", str(studio_id), str(file))
    assert_clean_exit(result, 0)
    assert "Imported 3 customers (3 new, 0 updated)" in result.output

    erika = committed_client.get(CUSTOMER.format(studio_id, 1))
    assert erika.status_code == 200
    assert erika.json() == {
        "customerId": 1,
        "firstName": "Erika",
        "lastName": "Mustermann",
        "email": "erika@example.org",
        "phoneNumber": "+4915112345671",
        "language": "de",
    }
    assert committed_client.get(CUSTOMER.format(studio_id, 2)).json() == {
        "customerId": 2,
        "firstName": "Max",
        "lastName": "Mustermann",
    }
    assert committed_client.get(CUSTOMER.format(studio_id, 3)).json()["language"] == "en"

    again = write_csv(tmp_path / "again.csv", ["3,Jane,Smith,,,", "4,New,Member,,,"])
    result = invoke(runner, "customers", "import", "--studio", str(studio_id), str(again))
    assert_clean_exit(result, 0)
    assert "Imported 2 customers (1 new, 1 updated)" in result.output
    assert committed_client.get(CUSTOMER.format(studio_id, 3)).json() == {
        "customerId": 3,
        "firstName": "Jane",
        "lastName": "Smith",
    }


@pytest.mark.parametrize(
    ("bad_row", "line"),
    [
        ("2,Max,Mustermann,not-an-email,,", 3),
        ("2,Max,,max@example.org,,", 3),
        ("0,Max,Mustermann,,,", 3),
        ("abc,Max,Mustermann,,,", 3),
        ("2,Max,Mustermann,,0151 123,", 3),
    ],
    ids=["bad-email", "no-last-name", "zero-id", "non-numeric-id", "bad-phone"],
)
def test_customers_import_with_a_bad_row_imports_nothing(
    runner: CliRunner,
    tmp_path: Path,
    created_studios: list[int],
    committed_client: TestClient,
    bad_row: str,
    line: int,
) -> None:
    studio_id = make_studio(runner, created_studios)
    file = write_csv(tmp_path / "c.csv", ["1,Erika,Mustermann,erika@example.org,,", bad_row, "3,Jane,Doe,,,"])
    result = invoke(runner, "customers", "import", "--studio", str(studio_id), str(file))
    assert_clean_exit(result, 1)
    assert f"{file}:{line}:" in squashed(result.output)
    for customer_id in (1, 2, 3):
        response = committed_client.get(CUSTOMER.format(studio_id, customer_id))
        assert response.status_code == 404
        assert response.json()["errorCode"] == "CUSTOMER_NOT_FOUND"


@pytest.mark.parametrize(
    "raw_id", ["1_0", "+5", " 7", "\u0663"], ids=["underscore", "plus", "space", "arabic"]
)
def test_customers_import_refuses_non_canonical_ids(
    runner: CliRunner, tmp_path: Path, created_studios: list[int], committed_client: TestClient, raw_id: str
) -> None:
    """As on the HTTP paths, an id is plain decimal digits: Python's int() also reads these."""
    studio_id = make_studio(runner, created_studios)
    file = write_csv(tmp_path / "c.csv", ["1,Erika,Mustermann,,,", f'"{raw_id}",Max,Mustermann,,,'])
    result = invoke(runner, "customers", "import", "--studio", str(studio_id), str(file))
    assert_clean_exit(result, 1)
    assert f"{file}:3:" in squashed(result.output)
    assert committed_client.get(CUSTOMER.format(studio_id, 1)).status_code == 404


def test_customers_import_reports_a_row_containing_markup_cleanly(
    runner: CliRunner, tmp_path: Path, created_studios: list[int], committed_client: TestClient
) -> None:
    """A bad value that looks like Rich markup must still give the line, not a traceback."""
    studio_id = make_studio(runner, created_studios)
    file = write_csv(tmp_path / "c.csv", ["1,Erika,Mustermann,erika@example.org,,", "2,Max,Mu,[/x],,"])
    result = invoke(runner, "customers", "import", "--studio", str(studio_id), str(file))
    assert_clean_exit(result, 1)
    assert f"{file}:3:" in squashed(result.output)
    assert committed_client.get(CUSTOMER.format(studio_id, 1)).status_code == 404


def test_customers_import_into_unknown_studio_fails(runner: CliRunner, tmp_path: Path) -> None:
    file = write_csv(tmp_path / "c.csv", ["1,Erika,Mustermann,,,"])
    result = invoke(runner, "customers", "import", "--studio", str(UNKNOWN_STUDIO), str(file))
    assert_clean_exit(result, 1)
    assert "STUDIO_NOT_FOUND" in result.output


def test_customers_import_of_a_missing_file_is_a_usage_error(
    runner: CliRunner, tmp_path: Path, created_studios: list[int]
) -> None:
    studio_id = make_studio(runner, created_studios)
    result = invoke(runner, "customers", "import", "--studio", str(studio_id), str(tmp_path / "none.csv"))
    assert result.exit_code == 2
    assert "none.csv" in squashed(result.output)


# --- settings set --------------------------------------------------------------------------------------

NEW_SETTINGS = [
    {
        "messageCategory": "GENERAL",
        "channels": [
            {"communicationChannel": "EMAIL", "customerOverridable": True, "active": True},
            {"communicationChannel": "PHONE", "customerOverridable": False, "active": False},
        ],
    },
    {
        "messageCategory": "NEWSLETTER",
        "channels": [
            {"communicationChannel": "EMAIL", "customerOverridable": True, "active": False},
        ],
    },
]


def test_settings_set_replaces_the_settings(
    runner: CliRunner, tmp_path: Path, created_studios: list[int], committed_client: TestClient
) -> None:
    studio_id = make_studio(runner, created_studios)
    file = tmp_path / "settings.json"
    file.write_text(json.dumps(NEW_SETTINGS))
    result = invoke(runner, "settings", "set", "--studio", str(studio_id), str(file))
    assert_clean_exit(result, 0)
    assert last_json(result) == NEW_SETTINGS
    response = committed_client.get(SETTINGS.format(studio_id))
    assert response.status_code == 200
    assert response.json() == NEW_SETTINGS


@pytest.mark.parametrize(
    "content",
    [
        '[{"messageCategory": "GENERAL", ',
        "not json at all",
        '{"messageCategory": "GENERAL"}',
        '[{"messageCategory": "SPAM", "channels": []}]',
    ],
    ids=["truncated", "garbage", "object", "unknown-category"],
)
def test_settings_set_with_an_invalid_file_fails_and_changes_nothing(
    runner: CliRunner,
    tmp_path: Path,
    created_studios: list[int],
    committed_client: TestClient,
    content: str,
) -> None:
    studio_id = make_studio(runner, created_studios)
    before = committed_client.get(SETTINGS.format(studio_id)).json()
    file = tmp_path / "settings.json"
    file.write_text(content)
    result = invoke(runner, "settings", "set", "--studio", str(studio_id), str(file))
    assert_clean_exit(result, 1)
    assert "Invalid settings file" in result.output
    assert committed_client.get(SETTINGS.format(studio_id)).json() == before
    assert len(before) == 5


def test_settings_set_with_duplicates_fails_and_changes_nothing(
    runner: CliRunner, tmp_path: Path, created_studios: list[int], committed_client: TestClient
) -> None:
    studio_id = make_studio(runner, created_studios)
    before = committed_client.get(SETTINGS.format(studio_id)).json()
    file = tmp_path / "settings.json"
    file.write_text(json.dumps([*NEW_SETTINGS, NEW_SETTINGS[0]]))
    result = invoke(runner, "settings", "set", "--studio", str(studio_id), str(file))
    assert_clean_exit(result, 1)
    assert "DUPLICATE_CATEGORY" in result.output
    assert committed_client.get(SETTINGS.format(studio_id)).json() == before


def test_settings_set_for_unknown_studio_fails(runner: CliRunner, tmp_path: Path) -> None:
    file = tmp_path / "settings.json"
    file.write_text(json.dumps(NEW_SETTINGS))
    result = invoke(runner, "settings", "set", "--studio", str(UNKNOWN_STUDIO), str(file))
    assert_clean_exit(result, 1)
    assert "STUDIO_NOT_FOUND" in result.output
