"""One ``Idempotency-Key`` on a non-idempotent request (a POST of a thread), repeated at once
against two ``serve`` processes on one database (PostgreSQL, where an advisory lock holds the key,
and one SQLite file, where the write lock does): the thread is created once; every answer is that
thread (first or replayed) or ``IDEMPOTENCY_KEY_IN_USE`` while the first one runs."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.factories import World
from tests.servers import serve_process

THREADS = "/v1/communications/1/threads"
THREAD = {
    "communicationThreadStatus": "CREATED",
    "subject": "Once",
    "content": "Sent once, whatever the retries",
    "communicationDirection": "OUTGOING",
    "communicationChannel": "EMAIL",
}
REPEATS = 16


# Two serve processes starting: run alone (make test's serial part), and allowed the time a loaded
# machine takes to start them (pytest-timeout's 120 s ended it beside other tests).
@pytest.mark.serial
@pytest.mark.timeout(600)
def test_a_post_repeated_at_once_on_two_processes_with_one_key_creates_one_thread(
    tmp_path: Path, database_url: str, committed_world: World
) -> None:
    headers = {"X-API-KEY": committed_world.key_a, "Idempotency-Key": "one-thread"}
    with (
        serve_process(tmp_path, database_url, name="first") as first,
        serve_process(tmp_path, database_url, name="second") as second,
    ):
        start = threading.Barrier(REPEATS)

        def post(index: int) -> httpx.Response:
            base = (first, second)[index % 2].base
            start.wait(timeout=60)
            return httpx.post(base + THREADS, json=THREAD, headers=headers, timeout=60)

        with ThreadPoolExecutor(REPEATS) as pool:
            answers = list(pool.map(post, range(REPEATS)))
        created = [answer for answer in answers if answer.status_code == 200]
        busy = [answer for answer in answers if answer.status_code == 409]
        assert len(created) + len(busy) == REPEATS, [(a.status_code, a.text) for a in answers]
        assert all(answer.json()["errorCode"] == "IDEMPOTENCY_KEY_IN_USE" for answer in busy)
        assert created, "no request did the work"
        assert len({answer.json()["threadId"] for answer in created}) == 1
        assert sum("Idempotent-Replayed" not in answer.headers for answer in created) == 1
        # Once the dust settles, a retry through either process replays the one thread.
        for server in (first, second):
            retried = httpx.post(server.base + THREADS, json=THREAD, headers=headers, timeout=60)
            assert retried.status_code == 200, retried.text
            assert retried.headers["Idempotent-Replayed"] == "true"
            assert retried.json()["threadId"] == created[0].json()["threadId"]
        listed = httpx.get(first.base + THREADS, headers={"X-API-KEY": committed_world.key_a}, timeout=60)
    assert [thread["threadId"] for thread in listed.json()["result"]] == [created[0].json()["threadId"]]
