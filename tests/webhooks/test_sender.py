"""The sender connects to the address it checked, keeps one deadline per attempt, never raises."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from studio_comms.webhooks import urlsafety
from tests.receiver import Receiver, running_receiver
from tests.webhooks.blocking import BlockingSender

_real_getaddrinfo = socket.getaddrinfo


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Names only this test knows: the system resolver cannot answer them."""
    names: dict[str, str] = {}

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        return _real_getaddrinfo(names.get(host, host), port, *args, **kwargs)

    monkeypatch.setattr(urlsafety.socket, "getaddrinfo", getaddrinfo)
    return names


def _port(receiver: Receiver) -> int:
    return int(receiver.url.split(":")[2].split("/")[0])


def test_the_connection_goes_to_the_checked_address(receiver: Receiver, fake_dns: dict[str, str]) -> None:
    fake_dns["rebind.test"] = "127.0.0.1"
    sender = BlockingSender(timeout=2, allow_private=True)
    try:
        attempt = sender.post(f"http://rebind.test:{_port(receiver)}/hooks", "{}", {})
    finally:
        sender.close()
    assert attempt.error is None, attempt.error
    [request] = receiver.requests
    assert request.headers["host"] == f"rebind.test:{_port(receiver)}"


def test_a_name_that_now_resolves_privately_is_refused_at_connection_time(
    receiver: Receiver, fake_dns: dict[str, str]
) -> None:
    fake_dns["rebind.test"] = "127.0.0.1"  # public when subscribed, loopback now
    sender = BlockingSender(timeout=2, allow_private=False)
    try:
        attempt = sender.post(f"https://rebind.test:{_port(receiver)}/hooks", "{}", {})
    finally:
        sender.close()
    assert attempt.error == "refused: rebind.test resolves to an address that is not public"
    assert receiver.requests == []


def test_kept_alive_connections_are_not_shared_between_host_names(
    tmp_path: Path, fake_dns: dict[str, str]
) -> None:
    """Two names on one address: the certificate of each is checked, not only the first one's."""
    authority = trustme.CA()
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("a.test").configure_cert(context)
    fake_dns["a.test"] = fake_dns["b.test"] = "127.0.0.1"
    with running_receiver(context) as receiver:
        port = _port(receiver)
        sender = BlockingSender(timeout=2, allow_private=True, ca_bundle=bundle)
        try:
            first = sender.post(f"https://a.test:{port}/hooks", "{}", {})
            second = sender.post(f"https://b.test:{port}/hooks", "{}", {})
        finally:
            sender.close()
    assert first.error is None, first.error
    assert second.error is not None
    assert "certificate" in second.error.lower() or "CERTIFICATE" in second.error
    assert len(receiver.requests) == 1


@pytest.fixture
def dripping_server() -> Iterator[int]:
    """Answers with a status line, then one header byte every 0.2 s, for ever."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve() -> None:
        connection, _ = server.accept()
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while not stop.is_set():
            try:
                connection.sendall(b"a")
            except OSError:
                return
            time.sleep(0.2)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    server.close()


def test_an_attempt_has_one_overall_deadline(dripping_server: int) -> None:
    sender = BlockingSender(timeout=1, allow_private=True)
    started = time.monotonic()
    try:
        attempt = sender.post(f"http://127.0.0.1:{dripping_server}/hooks", "{}", {})
    finally:
        sender.close()
    elapsed = time.monotonic() - started
    assert attempt.error == "timed out after 1 s"
    assert elapsed < 1.8, elapsed  # each read alone would have waited up to 1 s, for ever


def test_an_unusable_url_is_a_failed_attempt_not_a_crash() -> None:
    sender = BlockingSender(timeout=1, allow_private=True)
    try:
        attempt = sender.post("http://exa\nmple.org/hooks", "{}", {})
    finally:
        sender.close()
    assert attempt.status_code is None
    assert attempt.error is not None
    assert attempt.error.startswith("refused: not a valid URL")
