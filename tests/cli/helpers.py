"""Helpers of the command-line tests."""

from __future__ import annotations

import json
import re
from typing import Any

from click.testing import Result
from typer.testing import CliRunner

from studio_comms.cli import app as cli

PREFS = "/v1/communications/{}/communication-preferences"
CUSTOMER = "/admin/v1/studios/{}/customers/{}"
SETTINGS = "/admin/v1/studios/{}/communication-settings"
UNKNOWN_STUDIO = 2**62


def invoke(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli, list(args))


def squashed(output: str) -> str:
    """Output without whitespace and panel borders: Rich wraps long lines at the console width,
    inside its error panel too (a long temporary path breaks across two bordered lines)."""
    return re.sub(r"[\s│]", "", output)


def assert_clean_exit(result: Result, code: int) -> None:
    """Exited with ``code`` through typer, not through an unhandled exception."""
    assert result.exit_code == code, (result.output, result.exception)
    if code:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    else:
        assert result.exception is None, repr(result.exception)


def last_json(result: Result) -> Any:
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return json.loads(lines[-1])


def make_studio(runner: CliRunner, created: list[int], name: str = "CLI Studio") -> int:
    result = invoke(runner, "studios", "create", "--name", name)
    assert_clean_exit(result, 0)
    studio_id = int(last_json(result)["studioId"])
    created.append(studio_id)
    return studio_id
