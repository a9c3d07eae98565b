"""``studio-comms serve --workers N``: several API processes on one port stay one service. Rate
limits count across them (Redis), an Idempotency-Key applies once whichever process answers, member
links signed by one are accepted by the other, a revoked key fails in every process within a
second, and exactly one process runs the outbox worker. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN
from tests.factories import World
from tests.servers import STUDIO_COMMS, ServeProcess, free_port, serve_process

# Several serve processes, their timing and shared state: run alone (make test's serial part).
pytestmark = pytest.mark.serial

PREFS = "/v1/communications/1/communication-preferences"
REDIS_URL = "redis://127.0.0.1:6379/0"
OPT_IN = [{"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}]


def children(parent: int) -> list[int]:
    """The API processes the supervisor forked (alive: a killed one not yet reaped is a zombie)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def fresh(server: ServeProcess, method: str, path: str, **options: object) -> httpx.Response:
    """One request on a connection of its own: the kernel hands it to either process."""
    return httpx.request(method, server.base + path, timeout=30, **options)  # type: ignore[arg-type]


@pytest.fixture
def two_processes(tmp_path: Path, database_url: str, committed_world: World) -> Iterator[ServeProcess]:
    with serve_process(
        tmp_path,
        database_url,
        worker=True,
        processes=2,
        redis_url=REDIS_URL,
        rate_limit_key_prefix=f"test-{uuid.uuid4().hex}",
        # Per hour: the 40 requests below fall in one window however slowly a loaded machine sends them.
        rate_limit="30/hour",
        admin_token=ADMIN_TOKEN,
    ) as server:
        # Both up: /healthz answers as soon as the first process is.
        deadline = time.monotonic() + 30
        while server.output().count(" serves (") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        yield server


def test_two_processes_serve_share_limits_keys_links_and_one_worker(
    two_processes: ServeProcess, committed_world: World
) -> None:
    server, world = two_processes, committed_world
    key = {"X-API-KEY": world.key_a}
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    processes = children(server.pid)
    assert len(processes) >= 2, processes
    before = {pid: cpu_ticks(pid) for pid in processes}

    # Links signed in one process open in the other (one secret in the shared var directory).
    url = fresh(server, "POST", "/v1/communications/1/preference-links", json={}, headers=key).json()["url"]
    page = url[url.index("/preferences/") :]
    assert {fresh(server, "GET", page).status_code for _ in range(8)} == {200}

    # One Idempotency-Key, eight concurrent attempts on separate connections: applied once.
    history_before = len(fresh(server, "GET", PREFS + "/history", headers=key).json()["result"])
    answers: list[httpx.Response] = []

    def attempt() -> None:
        headers = {**key, "Idempotency-Key": "across-processes"}
        answers.append(fresh(server, "PUT", PREFS, json=OPT_IN, headers=headers))

    attempts = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in attempts:
        thread.start()
    for thread in attempts:
        thread.join()
    assert {answer.status_code for answer in answers} <= {200, 409}, [a.text for a in answers]
    applied = [a for a in answers if a.status_code == 200 and "Idempotent-Replayed" not in a.headers]
    assert len(applied) <= 1
    history = fresh(server, "GET", PREFS + "/history", headers=key).json()["result"]
    assert len(history) == history_before + 1

    # The limit (30 per hour per key and endpoint) is counted by both processes together.
    permission = "/v1/communications/2/communication-permission"
    query = {"messageCategory": "GENERAL", "communicationChannel": "EMAIL"}
    statuses = Counter(
        fresh(server, "GET", permission, params=query, headers=key).status_code for _ in range(40)
    )
    assert statuses == {200: 30, 429: 10}

    # Both processes did work.
    worked = {pid: cpu_ticks(pid) - before[pid] for pid in processes}
    assert all(ticks > 0 for ticks in worked.values()), f"one process answered everything: {worked}"

    # Revoked through one process: within a second no process accepts the key.
    for _ in range(10):  # every process remembers the key
        fresh(server, "GET", PREFS, headers=key)
    keys = fresh(server, "GET", f"/admin/v1/studios/{world.studio_a}/api-keys", headers=admin).json()
    key_id = next(k["keyId"] for k in keys if k["name"] == "key A")
    assert (
        fresh(
            server, "DELETE", f"/admin/v1/studios/{world.studio_a}/api-keys/{key_id}", headers=admin
        ).status_code
        == 204
    )
    time.sleep(1.05)
    assert {fresh(server, "GET", PREFS, headers=key).status_code for _ in range(10)} == {401}

    # Exactly one process took the outbox worker.
    assert server.output().count("runs the outbox worker") == 1, server.output()[-3000:]


def test_several_processes_without_redis_are_refused(tmp_path: Path, database_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "STUDIO_COMMS_REDIS_URL"}
    env.update(STUDIO_COMMS_DATABASE_URL=database_url, STUDIO_COMMS_VAR_DIR=str(tmp_path / "var"))
    result = subprocess.run(
        [str(STUDIO_COMMS), "serve", "--port", str(free_port()), "--workers", "2"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "needs STUDIO_COMMS_REDIS_URL" in result.stdout + result.stderr


def test_a_killed_process_is_replaced_within_two_seconds_and_serves(two_processes: ServeProcess) -> None:
    """uvicorn's supervisor took 30 s when the process died while it was being pinged, and each new
    process imported the app again (5 s on this machine): ours forks from a loaded parent at once."""
    server = two_processes
    before = children(server.pid)
    assert len(before) == 2, before
    victim = before[-1]
    killed_at = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    replacement = None
    while replacement is None and time.monotonic() - killed_at < 30:
        serving = re.findall(r"API process (\d+) serves", server.output())
        replacement = next((int(pid) for pid in serving if int(pid) not in before), None)
        time.sleep(0.01)
    replaced_after = time.monotonic() - killed_at
    assert replacement is not None, server.output()[-3000:]
    assert f"API process {victim} ended (exit -9)" in server.output()
    assert replaced_after < 2.0, f"replaced after {replaced_after:.2f} s"
    assert sorted(children(server.pid)) == sorted([*(pid for pid in before if pid != victim), replacement])
    # The new process takes its share of the connections (and the worker slot, if the victim held it).
    ticks = cpu_ticks(replacement)
    assert {fresh(server, "GET", "/readyz").status_code for _ in range(60)} == {200}
    assert cpu_ticks(replacement) > ticks
    assert server.output().count("runs the outbox worker") <= 2
