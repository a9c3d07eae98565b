"""``studios create|update|information`` and ``keys list``: what the operator API does, from the shell."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.cli.helpers import assert_clean_exit, invoke, last_json, make_studio

UNKNOWN_STUDIO = 2**62
INFORMATION = {
    "countryCode": "DE",
    "city": "Berlin",
    "website": "https://fit.example",
    "openingHours": [{"dayOfWeekFrom": "MONDAY", "dayOfWeekTo": "FRIDAY", "timeFrom": {"hour": 6}}],
    "studioTags": [{"name": "sauna"}],
}


def test_create_with_a_mode_counts_as_chosen(runner: CliRunner, created_studios: list[int]) -> None:
    result = invoke(runner, "studios", "create", "--name", "Strict", "--consent-enforcement", "REJECT")
    assert_clean_exit(result, 0)
    body = last_json(result)
    created_studios.append(int(body["studioId"]))
    assert (body["consentEnforcement"], body["consentEnforcementChosen"]) == ("REJECT", True)


def test_update_chooses_reject_and_the_api_refuses_from_then_on(
    runner: CliRunner, created_studios: list[int], committed_client: TestClient
) -> None:
    studio = make_studio(runner, created_studios)
    assert last_json(invoke(runner, "studios", "update", "--studio", str(studio)))["consentEnforcement"] == (
        "RECORD"
    )
    result = invoke(runner, "studios", "update", "--studio", str(studio), "--consent-enforcement", "REJECT")
    assert_clean_exit(result, 0)
    assert (last_json(result)["consentEnforcement"], last_json(result)["consentEnforcementChosen"]) == (
        "REJECT",
        True,
    )
    fetched = committed_client.get(f"/admin/v1/studios/{studio}").json()
    assert fetched["consentEnforcement"] == "REJECT"


def test_update_refuses_bad_input_and_unknown_studios(runner: CliRunner, created_studios: list[int]) -> None:
    studio = make_studio(runner, created_studios)
    bad = invoke(runner, "studios", "update", "--studio", str(studio), "--consent-enforcement", "IGNORE")
    assert_clean_exit(bad, 2)
    zone = invoke(runner, "studios", "update", "--studio", str(studio), "--time-zone", "Mars/Olympus")
    assert_clean_exit(zone, 1)
    assert "timeZone" in zone.output
    unknown = invoke(runner, "studios", "update", "--studio", str(UNKNOWN_STUDIO), "--name", "x")
    assert_clean_exit(unknown, 1)
    assert "STUDIO_NOT_FOUND" in unknown.output


def test_information_is_set_from_a_file_and_printed(
    runner: CliRunner, created_studios: list[int], tmp_path: Path, committed_client: TestClient
) -> None:
    studio = make_studio(runner, created_studios, name="Info Studio")
    file = tmp_path / "information.json"
    file.write_text(json.dumps(INFORMATION))
    result = invoke(runner, "studios", "information", "--studio", str(studio), str(file))
    assert_clean_exit(result, 0)
    expected = {
        **INFORMATION,
        "studioId": studio,
        "name": "Info Studio",
        "accessCodeConfiguration": {"enabled": False},
    }
    assert last_json(result) == expected
    printed = invoke(runner, "studios", "information", "--studio", str(studio))
    assert last_json(printed) == expected
    assert committed_client.get(f"/admin/v1/studios/{studio}/information").json() == expected


def test_an_invalid_information_file_changes_nothing(
    runner: CliRunner, created_studios: list[int], tmp_path: Path
) -> None:
    studio = make_studio(runner, created_studios)
    file = tmp_path / "information.json"
    file.write_text(json.dumps({**INFORMATION, "countryCode": "Deutschland"}))
    result = invoke(runner, "studios", "information", "--studio", str(studio), str(file))
    assert_clean_exit(result, 1)
    assert "countryCode" in result.output
    assert "city" not in last_json(invoke(runner, "studios", "information", "--studio", str(studio)))


def test_keys_list_shows_which_integration_confirmed_its_activation(
    runner: CliRunner, created_studios: list[int], committed_client: TestClient
) -> None:
    studio = make_studio(runner, created_studios)
    created = last_json(invoke(runner, "keys", "create", "--studio", str(studio), "--name", "crm"))
    invoke(runner, "keys", "create", "--studio", str(studio), "--name", "idle")
    confirmed = committed_client.post(
        "/v1/studios/confirmActivation", headers={"X-API-KEY": created["apiKey"]}
    )
    assert confirmed.status_code == 200
    result = invoke(runner, "keys", "list", "--studio", str(studio))
    assert_clean_exit(result, 0)
    keys = {key["name"]: key for key in last_json(result)}
    assert "activationConfirmedAt" in keys["crm"]
    assert "activationConfirmedAt" not in keys["idle"]
    assert all("apiKey" not in key for key in keys.values())
    unknown = invoke(runner, "keys", "list", "--studio", str(UNKNOWN_STUDIO))
    assert_clean_exit(unknown, 1)
