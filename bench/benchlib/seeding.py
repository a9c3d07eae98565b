"""The bench's data, written through our operator API and API (outside every measured window),
the checks that the apps answer alike, and the counters that prove the writes were real."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import psycopg

from benchlib.apps import ADMIN_TOKEN
from benchlib.procs import BenchError

SCOPES = [
    "COMMUNICATION_PREFERENCES_READ",
    "COMMUNICATION_PREFERENCES_WRITE",
    "COMMUNICATION_READ",
    "COMMUNICATION_WRITE",
    "WEBHOOKS_MANAGE",
]
PREFS_PATH = "/v1/communications/{}/communication-preferences"
PUT_BODY = '[{{"messageCategory":"NEWSLETTER","channels":[{{"communicationChannel":"EMAIL","active":{}}}]}}]'
THREADS_PATH = "/v1/communications/{}/threads"
THREAD_PATH = "/v1/communications/{}/threads/{}"
# INCOMING: no consent check, so the service never refuses these with 409.
THREAD_BODY = {
    "subject": "Bench",
    "content": "Hello from the bench",
    "communicationDirection": "INCOMING",
    "communicationChannel": "EMAIL",
}


def _expect(response: httpx.Response, status: int, what: str) -> Any:
    if response.status_code != status:
        raise BenchError(f"{what}: HTTP {response.status_code} {response.text[:500]}")
    return response.json() if response.content else None


def seed(base_url: str, customers: int) -> tuple[str, int]:
    """1 studio (default settings), 1 key with every scope, ``customers`` customers: (key, studio id)."""
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with httpx.Client(base_url=base_url, headers=auth, timeout=30.0) as client:
        studio = _expect(client.post("/admin/v1/studios", json={"name": "Bench"}), 201, "seed studio")[
            "studioId"
        ]
        body = {"name": "bench", "scopes": SCOPES}
        key = _expect(client.post(f"/admin/v1/studios/{studio}/api-keys", json=body), 201, "seed key")
        for customer in range(1, customers + 1):
            path = f"/admin/v1/studios/{studio}/customers/{customer}"
            _expect(
                client.put(path, json={"firstName": "A", "lastName": "B"}), 201, f"seed customer {customer}"
            )
    return str(key["apiKey"]), int(studio)


def reset_preferences(base_url: str, api_key: str, customers: int) -> None:
    """NEWSLETTER/EMAIL off for every customer (through our API), so the first PUT of a fresh wrk
    (which turns it on) and every flip after it is a real change."""
    headers = {"X-API-KEY": api_key, "Content-Type": "application/json"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30.0) as client:
        for customer in range(1, customers + 1):
            _expect(
                client.put(PREFS_PATH.format(customer), content=PUT_BODY.format("false")), 200, "reset PUT"
            )


def thread_body(status: str) -> dict[str, str]:
    return {"communicationThreadStatus": status, **THREAD_BODY}


def create_threads(base_url: str, api_key: str, customers: int, path: Path) -> dict[int, int]:
    """One thread per customer; customer -> thread id, also written to ``path`` as lines
    "customer thread" for bench/wrk_threads.lua. One append must change the status."""
    threads: dict[int, int] = {}
    with httpx.Client(base_url=base_url, headers={"X-API-KEY": api_key}, timeout=30.0) as client:
        for customer in range(1, customers + 1):
            data = _expect(
                client.post(THREADS_PATH.format(customer), json=thread_body("CREATED")), 200, "POST thread"
            )
            if data.get("customerId") != customer or data.get("communicationThreadStatus") != "CREATED":
                raise BenchError(f"POST thread customer {customer}: unexpected answer {data}")
            threads[customer] = int(data["threadId"])
        one = THREAD_PATH.format(1, threads[1])
        _expect(client.put(one, json=thread_body("ONGOING")), 200, "PUT thread")
        thread = _expect(client.get(one), 200, "GET thread")
        if thread.get("communicationThreadStatus") != "ONGOING" or len(thread.get("communications", [])) != 2:
            raise BenchError(f"PUT thread ONGOING did not append and change the status: {thread}")
    path.write_text("".join(f"{customer} {thread}\n" for customer, thread in sorted(threads.items())))
    return threads


def reset_threads(base_url: str, api_key: str, threads: dict[int, int]) -> None:
    """Every thread CLOSED, so the first append of a fresh wrk (ONGOING) and every flip after it
    changes the thread's status."""
    with httpx.Client(base_url=base_url, headers={"X-API-KEY": api_key}, timeout=30.0) as client:
        for customer, thread in threads.items():
            _expect(
                client.put(THREAD_PATH.format(customer, thread), json=thread_body("CLOSED")),
                200,
                "reset thread",
            )


def check_alike(ours: str, peer: str, hello: str, bare: str, api_key: str) -> None:
    """Before measuring: the no-work routes answer the same bytes; ours and the peer, taking turns
    to flip NEWSLETTER/EMAIL of customer 2, really change it, and the PUT's answer, our GET and the
    peer's GET are the same bytes after every flip."""
    ceilings = {httpx.get(ours + "/bench/ceiling").content, httpx.get(hello + "/bench/ceiling").content}
    if ceilings != {httpx.get(bare + "/").content}:
        raise BenchError(f"the no-work routes answer differently: {ceilings}")
    headers = {"X-API-KEY": api_key, "Content-Type": "application/json"}
    path = PREFS_PATH.format(2)
    with httpx.Client(headers=headers, timeout=10.0) as client:
        _expect(client.put(ours + path, content=PUT_BODY.format("false")), 200, "PUT ours")
        for writer, active in ((ours, True), (peer, False), (peer, True), (ours, False)):
            put = client.put(writer + path, content=PUT_BODY.format(str(active).lower()))
            state = _expect(put, 200, f"PUT {writer}")
            bodies = {put.content, client.get(ours + path).content, client.get(peer + path).content}
            if len(bodies) != 1:
                raise BenchError(f"ours and the peer answer differently after a PUT to {writer}: {bodies}")
            newsletter = next(p for p in state if p["messageCategory"] == "NEWSLETTER")
            email = next(c for c in newsletter["channels"] if c["communicationChannel"] == "EMAIL")
            if email["active"] is not active:
                raise BenchError(
                    f"PUT active={active} to {writer} did not change NEWSLETTER/EMAIL: {newsletter}"
                )


class Counters:
    """``SELECT count(*)`` queries on the bench database, read around a window."""

    def __init__(self, db_url: str, queries: dict[str, str]) -> None:
        self.db_url = db_url
        self.queries = queries

    def __call__(self) -> dict[str, int]:
        if self.db_url.startswith("sqlite:///"):
            path = self.db_url.removeprefix("sqlite:///")
            with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
                return {name: int(conn.execute(sql).fetchone()[0]) for name, sql in self.queries.items()}
        with psycopg.connect(self.db_url, connect_timeout=5) as conn:
            return {name: int(conn.execute(sql).fetchone()[0]) for name, sql in self.queries.items()}  # type: ignore[index]


def outbox_events(event_type: str) -> str:
    return f"SELECT count(*) FROM outbox WHERE kind = 'event' AND event_type = '{event_type}'"


def peer_changes(base_url: str) -> dict[str, int]:
    return {"changes": int(httpx.get(base_url + "/peer/stats").json()["changes"])}
