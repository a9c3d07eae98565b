"""`studio-comms studios create` and `keys create`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from tests.cli.helpers import (
    CUSTOMER,
    PREFS,
    UNKNOWN_STUDIO,
    assert_clean_exit,
    invoke,
    last_json,
    make_studio,
)


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
        "CUSTOMER_READ",
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
