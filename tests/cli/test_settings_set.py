"""`studio-comms settings set`: the studio's offer from a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.cli.helpers import (
    SETTINGS,
    UNKNOWN_STUDIO,
    assert_clean_exit,
    invoke,
    last_json,
    make_studio,
)

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
