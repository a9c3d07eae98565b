"""A real HTTP receiver on loopback for webhook tests: records what arrives, answers as told."""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: str

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def uuid(self) -> str:
        return str(self.json["uuid"])


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    # Answer the next ``failures`` requests with ``failure_status`` (then 200).
    failures: int = 0
    failure_status: int = 500
    always_fail: bool = False
    delay_seconds: float = 0.0
    # Bodies cut short (a sender killed while sending): no delivery, never answered with success.
    incomplete: int = 0
    # Requests whose handling began (answered or not yet), and the most handled at once.
    started: int = 0
    in_flight: int = 0
    most_at_once: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self) -> int:
        with self.lock:
            if self.always_fail:
                return self.failure_status
            if self.failures > 0:
                self.failures -= 1
                return self.failure_status
            return 200

    def successes(self) -> list[Received]:
        with self.lock:
            return [request for request in self.requests if request.headers.get("x-test-answer") == "200"]

    def uuids(self) -> list[str]:
        with self.lock:
            return [request.uuid for request in self.requests]

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} requests, got {len(self.requests)} in {timeout} s")


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length)
            if len(raw) < length:
                # The sender went away mid-body (a killed worker): nothing to record or answer.
                with receiver.lock:
                    receiver.incomplete += 1
                return
            body = raw.decode()
            with receiver.lock:
                receiver.started += 1
                receiver.in_flight += 1
                receiver.most_at_once = max(receiver.most_at_once, receiver.in_flight)
            if receiver.delay_seconds:
                time.sleep(receiver.delay_seconds)
            with receiver.lock:
                receiver.in_flight -= 1
            status = receiver.answer()
            headers = {key.lower(): value for key, value in self.headers.items()}
            headers["x-test-answer"] = str(status)
            with receiver.lock:
                receiver.requests.append(Received(self.path, headers, body))
            self.send_response(status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_receiver(tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    """On 127.0.0.1; with ``tls``, an https receiver addressed as ``localhost``."""
    receiver = Receiver(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    port = server.server_address[1]
    receiver.url = f"http://127.0.0.1:{port}/hooks"
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        receiver.url = f"https://localhost:{port}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
