"""One HTTP attempt of a delivery: to a checked address, within one overall deadline.

The sender is asynchronous: the worker keeps hundreds of deliveries in flight on one event loop
instead of one thread each (threads handing the GIL to each other cost more CPU than the POSTs).
Before every new connection it resolves the host and checks every address (``urlsafety``), then
connects to exactly the address it checked, so DNS rebinding gains nothing; a kept-alive
connection is reused only for the same origin (scheme, host name, port), so TLS has checked that
name's certificate. The whole attempt (lookup, connect, TLS, request, response) has one
deadline: a receiver that answers one byte at a time cannot hold it longer.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass
from pathlib import Path

from studio_comms.webhooks import urlsafety
from studio_comms.webhooks.http1 import Connection, request_head

# Idle connections kept per origin, and for how long (receivers commonly close after 5 s).
KEEPALIVE_PER_ORIGIN = 32
KEEPALIVE_SECONDS = 4.0

Origin = tuple[str, str, int]


@dataclass(frozen=True, slots=True)
class Attempt:
    status_code: int | None
    duration_ms: int
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.error is None


class Sender:
    """Pooled keep-alive connections per origin, on the event loop that uses them.

    ``send`` runs on the worker's loop. Connections belong to one loop: meeting another drops them.
    """

    def __init__(self, *, timeout: float, allow_private: bool, ca_bundle: Path | None = None) -> None:
        self.allow_private = allow_private
        self._timeout = timeout
        self._tls = ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)
        self._idle: dict[Origin, list[Connection]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    async def send(self, url: str, body: bytes, headers: dict[str, str]) -> Attempt:
        """Never raises: whatever goes wrong is the attempt's error."""
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout):
                status = await self._exchange(url, body, headers)
        except urlsafety.UnsafeUrl as error:
            return Attempt(None, _ms_since(started), f"refused: {error}")
        except TimeoutError:
            return Attempt(None, _ms_since(started), f"timed out after {self._timeout:g} s")
        except Exception as error:
            return Attempt(None, _ms_since(started), f"{type(error).__name__}: {error}"[:500])
        duration = _ms_since(started)
        if 200 <= status < 300:
            return Attempt(status, duration, None)
        return Attempt(status, duration, f"HTTP {status}")

    async def _exchange(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        target = urlsafety.target(url, allow_private=self.allow_private)
        head = request_head(target.path, target.host_header, headers, len(body))
        origin = (target.scheme, target.host, target.port)
        connection = self._kept_alive(origin)
        if connection is not None:
            try:
                return await self._request(origin, connection, head, body)
            except ConnectionError:
                if not connection.answered_nothing:
                    raise
                # The server closed the idle connection as we reused it: nothing was answered,
                # so the request goes again on a fresh connection (receivers deduplicate by
                # webhook-id should it have arrived after all).
        connection = await self._connect(target)
        return await self._request(origin, connection, head, body)

    async def _request(self, origin: Origin, connection: Connection, head: bytes, body: bytes) -> int:
        try:
            status = await connection.request(head, body)
        except BaseException:
            connection.close()  # cancelled (deadline) or failed mid-response: never reused
            raise
        if connection.reusable:
            idle = self._idle.setdefault(origin, [])
            if len(idle) < KEEPALIVE_PER_ORIGIN:
                idle.append(connection)
            else:
                connection.close()
        return status

    def _kept_alive(self, origin: Origin) -> Connection | None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._drop_idle()
            self._loop = loop
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if connection.reusable and time.monotonic() - connection.idle_since < KEEPALIVE_SECONDS:
                return connection
            connection.close()
        return None

    async def _connect(self, target: urlsafety.Target) -> Connection:
        address = await urlsafety.checked_address_async(
            target.host, target.port, allow_private=self.allow_private
        )
        loop = asyncio.get_running_loop()
        tls = self._tls if target.scheme == "https" else None
        _, connection = await loop.create_connection(
            Connection,
            str(address),
            target.port,
            ssl=tls,
            # The certificate must be the URL host's, though we connect to its checked address.
            server_hostname=target.host if tls is not None else None,
        )
        return connection

    def _drop_idle(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    def close(self) -> None:
        """Close the idle connections (the loop that owns them finishes closing them when it
        runs again, or when it is closed)."""
        self._drop_idle()


def _ms_since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
