"""A minimal HTTP/1.1 client connection on asyncio, for webhook POSTs only.

Why not httpx's AsyncClient: measured on loopback it spent ~6 ms of CPU per POST (its anyio
backend and pool), this ~0.05 ms; a webhook worker's whole budget is 1 ms per event. What a
webhook POST needs is small: one request with a known body, the response's status, the
connection kept alive when the server allows it. Response parsing (status line, headers,
chunked or sized bodies) is httptools', the parser uvicorn uses. Where to connect (the checked
address), TLS and the attempt's deadline are the caller's (``sender``).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httptools

# A response body longer than this is not read: the connection is closed instead (we only need
# the status; a receiver must not make us read megabytes).
MAX_BODY_BYTES = 64 * 1024


class Connection(asyncio.Protocol):
    """One kept-alive connection; one request at a time (no pipelining)."""

    def __init__(self) -> None:
        # asyncio's or uvloop's transport (uvloop's do not subclass asyncio.Transport).
        self.transport: Any = None
        self.closed = False
        self.idle_since = time.monotonic()
        self._parser: Any = httptools.HttpResponseParser(self)
        self._response: asyncio.Future[int] | None = None
        self._status = 0
        self._body_bytes = 0
        self._received_any = False
        self._too_large = False
        self._keep_alive = False

    # -- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self._received_any = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(ConnectionError(f"invalid HTTP response: {error}"))
            self.close()
        if self._too_large:
            self.close()

    def eof_received(self) -> bool | None:
        # A response without length ends with the connection.
        if self._response is not None and not self._response.done() and self._status >= 200:
            self._finish_response()
        self._fail(ConnectionError("the server closed the connection"))
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(exc if exc is not None else ConnectionError("the connection was closed"))

    # -- httptools callbacks -----------------------------------------------------------------

    def on_headers_complete(self) -> None:
        self._status = self._parser.get_status_code()
        # Asked here: once the message is complete the parser has reset for the next one.
        self._keep_alive = self._parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        if self._body_bytes > MAX_BODY_BYTES:
            # The status is known: answer with it and drop the connection (data_received).
            self._too_large = True
            self._finish_response()

    def on_message_complete(self) -> None:
        if self._status < 200:  # an interim response (103 Early Hints): the real one follows
            self._status = 0
            return
        self._finish_response()

    # -- used by the sender ------------------------------------------------------------------

    def _finish_response(self) -> None:
        if self._response is not None and not self._response.done():
            self._response.set_result(self._status)

    def _fail(self, error: BaseException) -> None:
        if self._response is not None and not self._response.done():
            self._response.set_exception(error)

    @property
    def reusable(self) -> bool:
        return not self.closed and self.transport is not None and not self.transport.is_closing()

    async def request(self, head: bytes, body: bytes) -> int:
        """Send one request; the response's status once the whole response arrived."""
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        self._response = loop.create_future()
        self._status = self._body_bytes = 0
        self._received_any = self._too_large = self._keep_alive = False
        self.transport.write(head + body)
        try:
            status = await self._response
        finally:
            self._response = None
        if self._too_large or not self._keep_alive:
            self.close()
        self.idle_since = time.monotonic()
        return status

    @property
    def answered_nothing(self) -> bool:
        """The last request failed before any byte of a response (a kept-alive connection the
        server had closed meanwhile): it may be sent again on a fresh connection."""
        return not self._received_any

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


def request_head(target: bytes, host_header: str, headers: dict[str, str], length: int) -> bytes:
    """The request line and headers. Header values are ours (signing, the subscription's key);
    a CR or LF in one would split the request, so it is refused."""
    lines = [b"POST " + target + b" HTTP/1.1", b"host: " + host_header.encode("ascii")]
    for name, value in headers.items():
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
            raise ValueError(f"header {name!r} contains a line break")
        lines.append(f"{name}: {value}".encode("latin-1"))
    lines.append(b"content-length: " + str(length).encode())
    lines.append(b"user-agent: studio-comms-webhooks")
    return b"\r\n".join(lines) + b"\r\n\r\n"
