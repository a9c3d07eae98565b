"""The README's Postfix pipe script: tempfail (75) only when trying later can help — the service
unreachable, a 5xx, 408/429, a wrong token —, exit 0 on any other 4xx, so a message the service can
never take is dropped with a log line instead of being retried for days (issue 22). Run with the
system's sh and curl against a real HTTP server on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.receiver import Receiver, running_receiver

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "contrib" / "postfix" / "studio-comms-feedback"
MESSAGE = b"From: MAILER-DAEMON@example.org\r\nSubject: Undelivered\r\n\r\nbody\r\n"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as server:
        yield server


def run(url: str, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    token = tmp_path / "admin-token"
    token.write_text("operator-token\n")
    env = {**os.environ, "STUDIO_COMMS_FEEDBACK_URL": url, "STUDIO_COMMS_TOKEN_FILE": str(token)}
    return subprocess.run(
        ["sh", str(SCRIPT)], input=MESSAGE, env=env, capture_output=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("status", "exit_code"),
    [
        (200, 0),
        (400, 0),  # MAIL_FEEDBACK_MALFORMED: never takeable, dropped
        (413, 0),
        (415, 0),
        (401, 75),  # a wrong token: kept until the operator fixes it
        (403, 75),
        (408, 75),
        (429, 75),
        (500, 75),
        (503, 75),
    ],
)
def test_the_exit_status_follows_the_answer(
    receiver: Receiver, tmp_path: Path, status: int, exit_code: int
) -> None:
    receiver.always_fail, receiver.failure_status = status != 200, status
    done = run(receiver.url, tmp_path)
    assert done.returncode == exit_code, done.stderr
    arrived = receiver.wait_for(1)[0]
    assert arrived.headers["authorization"] == "Bearer operator-token"
    assert arrived.headers["content-type"] == "message/rfc822"
    assert arrived.body.encode() == MESSAGE
    if status == 400:
        assert b"dropped, HTTP 400" in done.stderr


def test_an_unreachable_service_is_a_tempfail(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    done = run(f"http://127.0.0.1:{port}/admin/v1/mail-feedback", tmp_path)
    assert done.returncode == 75
    assert b"unreachable" in done.stderr


def test_the_readme_shows_the_script_as_shipped() -> None:
    assert SCRIPT.read_text() in (ROOT / "README.md").read_text()
