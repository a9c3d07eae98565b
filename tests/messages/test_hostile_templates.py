"""The template attacks of issue 22, each answered 400 ``TEMPLATE_INVALID`` at once, never 500, and
never at the cost of other clients: under Jinja2 the first stalled every client for 6.9 s, the
second made a 22 MB message, the next four answered 500 and the last put a memory address in mail."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from tests.factories import World
from tests.servers import serve_process

HOSTILE = {
    "constant folding": "{{ (3**10000000) % 7 }}",
    "amplification": "{{ studioName * 2000000 }}",
    "division by zero": "{{ 1/0 }}",
    "huge integer": "{{ 10**5000 }}",
    "type error": "{{ firstName - 1 }}",
    "recursive macro": "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "internals": "{{ firstName.format_map }}",
}
SINGLE = {"messageCategory": "APPOINTMENT", "communicationChannel": "EMAIL", "subject": "Hello"}
BULK = {**SINGLE, "customerIds": [1, 2, 3]}


def _requests(content: str) -> list[tuple[str, dict[str, object]]]:
    return [
        ("/v1/communications/1/messages", {**SINGLE, "content": content}),
        ("/v1/messages", {**BULK, "content": content}),
        ("/v1/messages", {**BULK, "content": "Hi", "subject": content}),
        ("/v1/messages", {**BULK, "content": "Hi", "html": content}),
    ]


@pytest.mark.parametrize("content", HOSTILE.values(), ids=HOSTILE.keys())
def test_each_attack_is_400_template_invalid_and_stores_nothing(
    api: TestClient, connection: Connection, world: World, content: str
) -> None:
    for path, body in _requests(content):
        started = time.monotonic()
        response = api.post(path, json=body)
        assert time.monotonic() - started < 2.0, path  # Jinja2: 6.9 s for the first
        assert response.status_code == 400, (path, response.text)
        assert response.json()["errorCode"] == "TEMPLATE_INVALID"
        reference = next(field for field in ("subject", "html", "content") if body.get(field) == content)
        assert response.json()["reference"] == reference
        assert "0x" not in response.text
    counts = connection.execute(
        text(
            "SELECT (SELECT COUNT(*) FROM messages WHERE studio_id = :s) + "
            "(SELECT COUNT(*) FROM message_batches WHERE studio_id = :s) + "
            "(SELECT COUNT(*) FROM communication_threads WHERE studio_id = :s)"
        ),
        {"s": world.studio_a},
    )
    assert counts.scalar_one() == 0


@pytest.mark.serial
def test_other_clients_are_answered_within_100_ms_while_attacks_arrive(
    tmp_path: Path, database_url: str, committed_world: World
) -> None:
    """A real ``serve`` process: one client sends every attack (single and bulk) again and again,
    another asks ``/healthz`` meanwhile; measured alone (``serial``)."""
    with serve_process(tmp_path, database_url, rate_limit="1000000/minute") as server:
        headers = {"X-API-KEY": committed_world.key_a}
        answers: list[int] = []
        durations: list[float] = []
        done = threading.Event()

        def attacker() -> None:
            with httpx.Client(base_url=server.base, headers=headers, timeout=60) as client:
                try:
                    for _ in range(5):
                        for content in HOSTILE.values():
                            for path, body in _requests(content):
                                started = time.monotonic()
                                answers.append(client.post(path, json=body).status_code)
                                durations.append(time.monotonic() - started)
                finally:
                    done.set()

        latencies: list[float] = []
        with httpx.Client(base_url=server.base, timeout=60) as probe:
            for _ in range(5):  # warm: the connection, the first request's imports
                probe.get("/healthz")
            thread = threading.Thread(target=attacker, daemon=True)
            thread.start()
            while not done.is_set() or len(latencies) < 20:
                started = time.monotonic()
                assert probe.get("/healthz").status_code == 200
                latencies.append(time.monotonic() - started)
                time.sleep(0.005)
            thread.join(timeout=60)
    assert answers == [400] * 5 * len(HOSTILE) * 4
    latencies.sort()
    print(
        f"healthz during {len(answers)} attacks: max {latencies[-1] * 1000:.1f} ms, "
        f"median {latencies[len(latencies) // 2] * 1000:.1f} ms over {len(latencies)} probes; "
        f"attack answered in at most {max(durations) * 1000:.1f} ms"
    )
    # Within 100 ms; the probing client shares two loaded cores with the server, so a probe or two
    # descheduled by the machine is allowed, a stall is not (Jinja2: one probe waited 6.9 s).
    late = [latency for latency in latencies if latency >= 0.1]
    assert len(late) <= len(latencies) // 20, late
    assert latencies[-1] < 0.5, latencies[-5:]
