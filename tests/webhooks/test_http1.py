"""The async sender's HTTP/1.1 connections against a raw server on loopback: kept alive when the
server allows it, never reused after an oversized or unfinished response, a stale kept-alive
connection retried once on a fresh one, interim responses skipped."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from studio_comms.webhooks.handlers import EndpointSlots
from studio_comms.webhooks.http1 import MAX_BODY_BYTES, request_head
from tests.webhooks.blocking import BlockingSender

Answer = Callable[[int], bytes]  # the answer to the n-th request on a connection (0-based)
OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


class RawServer:
    """Answers each request (read up to the end of its body) with ``answer(n)``; counts connections.
    After ``close_after`` answers on a connection it closes it without a word."""

    def __init__(self, answer: Answer, close_after: int | None = None) -> None:
        self.answer = answer
        self.close_after = close_after
        self.connections = 0
        self.requests = 0
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError):  # the sender may drop a connection at will
            buffer = b""
            for number in range(1000):
                if self.close_after is not None and number >= self.close_after:
                    return
                while b"\r\n\r\n" not in buffer:
                    chunk = connection.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, rest = buffer.partition(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                while len(rest) < length:
                    rest += connection.recv(65536)
                buffer = rest[length:]
                self.requests += 1
                connection.sendall(self.answer(number))

    def close(self) -> None:
        self._socket.close()


@pytest.fixture
def serve() -> Iterator[Callable[..., RawServer]]:
    servers: list[RawServer] = []

    def start(answer: Answer, close_after: int | None = None) -> RawServer:
        servers.append(RawServer(answer, close_after))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def _post_three(server: RawServer) -> list[tuple[int | None, str | None]]:
    sender = BlockingSender(timeout=2, allow_private=True)
    try:
        results = [sender.post(f"http://127.0.0.1:{server.port}/hooks", "{}", {}) for _ in range(3)]
    finally:
        sender.close()
    return [(attempt.status_code, attempt.error) for attempt in results]


def test_a_kept_alive_connection_serves_the_next_requests(serve: Callable[..., RawServer]) -> None:
    server = serve(lambda n: OK)
    assert _post_three(server) == [(200, None)] * 3
    assert server.connections == 1


def test_a_server_that_says_close_gets_a_new_connection_each_time(serve: Callable[..., RawServer]) -> None:
    server = serve(lambda n: b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
    assert _post_three(server) == [(204, None)] * 3
    assert server.connections == 3


def test_an_oversized_answer_gives_its_status_and_is_not_read_to_the_end(
    serve: Callable[..., RawServer],
) -> None:
    huge = b"x" * (MAX_BODY_BYTES * 4)
    server = serve(lambda n: b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(huge) + huge)
    assert _post_three(server) == [(200, None)] * 3
    assert server.connections == 3  # the rest of that body is never read: the connection goes


def test_a_kept_alive_connection_the_server_dropped_is_retried_once_on_a_fresh_one(
    serve: Callable[..., RawServer],
) -> None:
    server = serve(lambda n: OK, close_after=1)
    assert _post_three(server) == [(200, None)] * 3
    assert server.requests == 3  # each sent once: the dropped connection had answered nothing


def test_an_interim_response_is_skipped(serve: Callable[..., RawServer]) -> None:
    server = serve(lambda n: b"HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n" + OK)
    assert _post_three(server) == [(200, None)] * 3


def test_a_garbled_answer_is_a_failed_attempt(serve: Callable[..., RawServer]) -> None:
    server = serve(lambda n: b"NOT HTTP AT ALL\r\n\r\n")
    [(status, error), *_] = _post_three(server)
    assert status is None
    assert error is not None
    assert "invalid HTTP response" in error


def test_a_header_value_cannot_split_the_request() -> None:
    with pytest.raises(ValueError, match="line break"):
        request_head(b"/", "example.org", {"x-api-key": "k\r\nx-evil: 1"}, 0)


def test_endpoint_slots_hand_a_returned_slot_to_the_next_in_line_or_let_it_give_up() -> None:
    async def scenario() -> list[bool]:
        slots = EndpointSlots(1)
        assert await slots.wait_for(7, 0.01)
        gave_up = await slots.wait_for(7, 0.01)  # the one slot stays busy
        waiting = asyncio.ensure_future(slots.wait_for(7, 5))
        await asyncio.sleep(0)
        slots.give_back(7)  # passes straight to the waiting one
        got_it = await waiting
        slots.give_back(7)
        return [gave_up, got_it, slots.take(7)]

    assert asyncio.run(scenario()) == [False, True, True]
