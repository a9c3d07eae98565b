"""Limits on what a client controls before authentication: the request head, header fields, query
strings, Accept-Language; and forwarded headers believed only from trusted proxies."""

from __future__ import annotations

import socket
import statistics
import threading
import time
from contextlib import suppress
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from studio_comms.core.messages import pick_language
from tests.factories import World
from tests.servers import serve_process

# Latency of other clients while a server reads a huge head: measured alone (make test's serial part).
pytestmark = pytest.mark.serial

PREFS = "/v1/communications/1/communication-preferences"
HISTORY = PREFS + "/history"


def _huge_head(header_bytes: int) -> bytes:
    """A request whose Accept-Language holds ``header_bytes`` (the issue's repro, without a key)."""
    head = f"GET {PREFS} HTTP/1.1\r\nHost: x\r\nAccept-Language: ".encode()
    return head + b"a," * (header_bytes // 2) + b"\r\n\r\n"


def _send_huge_head(base: str, payload: bytes) -> tuple[bytes, float]:
    """Sends ``payload``; returns what came back and how long until the server had answered or
    closed the connection."""
    host, port = base.removeprefix("http://").split(":")
    answer = b""
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sender = threading.Thread(target=_send_ignoring_reset, args=(sock, payload), daemon=True)
        sender.start()
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass  # the server closed with our unread header in its buffer: the kernel sends RST
        elapsed = time.monotonic() - started
        sender.join(timeout=30)
    return answer, elapsed


def _send_ignoring_reset(sock: socket.socket, payload: bytes) -> None:
    with suppress(BrokenPipeError, ConnectionResetError):  # refused part-way: what the test wants
        sock.sendall(payload)


def test_a_huge_header_is_refused_at_once_while_other_clients_keep_their_latency(
    tmp_path: Path, database_url: str, committed_world: World
) -> None:
    # Built before the measurement: copying 66 MB in this process would delay the client's threads.
    payloads = [_huge_head(16_000_000), _huge_head(50_000_000)]
    with serve_process(tmp_path, database_url) as server:
        rss_before = server.peak_rss_kib()
        latencies: list[float] = []
        statuses: set[int] = set()
        running, measuring = threading.Event(), threading.Event()
        running.set()

        def member_app() -> None:
            with httpx.Client(base_url=server.base, headers={"X-API-KEY": committed_world.key_a}) as client:
                while running.is_set():
                    for path in (PREFS, "/healthz"):
                        started = time.monotonic()
                        status = client.get(path, timeout=10).status_code
                        if measuring.is_set():  # not the warm-up (first connection, first queries)
                            statuses.add(status)
                            latencies.append(time.monotonic() - started)
                    time.sleep(0.01)

        client = threading.Thread(target=member_app)
        client.start()
        try:
            time.sleep(0.5)
            measuring.set()
            window = time.monotonic()
            answers = [_send_huge_head(server.base, payload) for payload in payloads]
            # Enough samples whatever the attack took: at least a second of measured requests.
            time.sleep(max(0.3, 1.0 - (time.monotonic() - window)))
        finally:
            running.clear()
            client.join(timeout=30)

        for answer, elapsed in answers:
            assert elapsed < 2.0, f"the oversized head was read for {elapsed:.1f} s"
            # The answer normally arrives before the reset; where the reset won, nothing came.
            if answer:
                assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
                assert b'"errorCode":"HEADERS_TOO_LARGE"' in answer
        assert any(answer for answer, _ in answers), "no 431 answer reached the client at all"
        assert statuses == {200}
        assert len(latencies) >= 20
        # Measured here: median ~3 ms while the attack runs; before the limit every client froze
        # for 16 s. The 100 ms bound is the issue's; it holds for the 95th percentile, while one
        # request may lose its core for a few hundred ms on this shared 2-core machine (seen once
        # in CI: 331 ms, every other request ~3 ms) — a stall would delay every request, not one.
        ordered = sorted(latencies)
        p95 = ordered[int(len(ordered) * 0.95) - 1]
        median = statistics.median(ordered)
        summary = f"p95 {p95 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms, median {median * 1000:.1f} ms"
        assert p95 < 0.1, summary
        assert ordered[-1] < 1.0, summary
        # The header was never buffered: the process grew by far less than one copy of it.
        assert server.peak_rss_kib() - rss_before < 8 * 1024
        assert "refused a request head over 16384 bytes" in server.output()


def test_a_head_just_under_the_limit_is_served(
    tmp_path: Path, database_url: str, committed_world: World
) -> None:
    with serve_process(tmp_path, database_url, max_header_bytes="4096") as server:
        headers = {"X-API-KEY": committed_world.key_a, "X-Padding": "p" * 3800}
        assert httpx.get(server.base + PREFS, headers=headers).status_code == 200
        too_big = httpx.get(server.base + PREFS, headers={**headers, "X-More": "m" * 400})
        assert too_big.status_code == 431
        assert too_big.json()["errorCode"] == "HEADERS_TOO_LARGE"


def test_too_many_header_fields_are_431(api: TestClient) -> None:
    headers = [(f"x-field-{n}", "1") for n in range(101)]
    response = api.get(PREFS, headers=headers)
    assert response.status_code == 431
    body = response.json()
    assert body["errorCode"] == "HEADERS_TOO_LARGE"
    assert body["traceId"] == response.headers["X-Request-Id"]
    assert api.get(PREFS, headers=headers[:80]).status_code == 200


def test_an_overlong_query_string_is_414(api: TestClient) -> None:
    response = api.get(HISTORY + "?sliceSize=5&x=" + "a" * 2100)
    assert response.status_code == 414
    assert response.json()["errorCode"] == "URI_TOO_LONG"
    assert api.get(HISTORY + "?sliceSize=5&x=" + "a" * 1900).status_code == 200


def test_only_the_start_of_accept_language_is_read() -> None:
    assert pick_language("fr;q=0.9, de-AT") == "de"
    # Past the first few hundred bytes nothing counts: a megabyte costs what 256 bytes cost.
    assert pick_language("a," * 200 + "de") == "en"
    # Not timed (the machine's speed is no measure): the whole value is never split, only its start.
    assert pick_language(_NeverSplitWhole("a," * 8_000_000)) == "en"


class _NeverSplitWhole(str):
    """A header value that fails the test if it is parsed whole (a slice of it is a plain str)."""

    __slots__ = ()

    def split(self, *args: object, **kwargs: object) -> list[str]:  # type: ignore[override]
        raise AssertionError("the whole Accept-Language value was parsed")


def _ledger_ip(base: str, key: str, forwarded_for: str, customer: int) -> str | None:
    prefs = f"/v1/communications/{customer}/communication-preferences"
    body = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}
    ]
    headers = {"X-API-KEY": key, "X-Forwarded-For": forwarded_for}
    assert httpx.put(base + prefs, json=body, headers=headers).status_code == 200
    entries = httpx.get(base + prefs + "/history", headers={"X-API-KEY": key}).json()["result"]
    address: str | None = entries[0]["ipAddress"]
    return address


def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(
    tmp_path: Path, database_url: str, committed_world: World
) -> None:
    key = committed_world.key_a
    with serve_process(tmp_path, database_url, name="untrusting") as server:
        assert _ledger_ip(server.base, key, "203.0.113.66", customer=1) == "127.0.0.1"
    with serve_process(tmp_path, database_url, name="trusting", trusted_proxies="127.0.0.1") as server:
        assert _ledger_ip(server.base, key, "203.0.113.66", customer=2) == "203.0.113.66"
    with serve_process(tmp_path, database_url, name="other-proxy", trusted_proxies="10.0.0.0/8") as server:
        assert _ledger_ip(server.base, key, "203.0.113.66", customer=3) == "127.0.0.1"
