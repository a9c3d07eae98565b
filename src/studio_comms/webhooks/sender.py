"""One HTTP attempt of a delivery: to a checked address, within one overall deadline.

httpx's timeouts apply to each step (connect, each read, each write), so a receiver that answers
one byte at a time could hold a worker thread for ever. The network backend here gives every
step only what is left of the attempt's deadline, and resolves and checks the host itself before
every connection, connecting to exactly the address it checked.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpcore
import httpx

from studio_comms.webhooks import urlsafety

_attempt = threading.local()


@dataclass(frozen=True, slots=True)
class Attempt:
    status_code: int | None
    duration_ms: int
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.error is None


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    _attempt.deadline = time.monotonic() + seconds
    try:
        yield
    finally:
        _attempt.deadline = None


def _remaining(timeout: float | None, timeout_error: type[Exception]) -> float | None:
    deadline: float | None = getattr(_attempt, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise timeout_error("the attempt's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _remaining(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _remaining(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        secured = self._stream.start_tls(
            ssl_context, server_hostname, _remaining(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(secured)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Connects only to addresses that pass :mod:`urlsafety`, looked up at connection time."""

    def __init__(self, *, allow_private: bool) -> None:
        self._allow_private = allow_private
        self._plain = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        budget = _remaining(timeout, httpcore.ConnectTimeout) or 5.0
        started = time.monotonic()
        try:
            address = urlsafety.checked_address(host, port, allow_private=self._allow_private, timeout=budget)
        except urlsafety.ResolveTimeout as error:
            raise httpcore.ConnectTimeout(str(error)) from None
        left = budget - (time.monotonic() - started)
        if left <= 0:
            raise httpcore.ConnectTimeout("the attempt's deadline has passed")
        stream = self._plain.connect_tcp(str(address), port, left, local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise urlsafety.UnsafeUrl("unix sockets cannot receive webhooks")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class Sender:
    """A pooled HTTP client; safe to share between the worker's threads.

    A kept-alive connection is reused only for the same host name, and it leads to an address
    that was checked when it was opened.
    """

    def __init__(self, *, timeout: float, allow_private: bool, ca_bundle: Path | None = None) -> None:
        self.allow_private = allow_private
        self._timeout = timeout
        context = ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)
        transport = httpx.HTTPTransport(verify=context, trust_env=False)
        # httpx offers no parameter for the network backend; the pool is rebuilt around ours
        # with httpx's own defaults (asserted, so an httpx that renames it fails loudly here).
        assert isinstance(transport._pool, httpcore.ConnectionPool)
        transport._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(allow_private=allow_private),
        )
        # No redirects (a 3xx could point anywhere), no proxies from the environment.
        self._client = httpx.Client(
            transport=transport, timeout=timeout, follow_redirects=False, trust_env=False
        )

    def close(self) -> None:
        self._client.close()

    def post(self, url: str, body: str, headers: dict[str, str]) -> Attempt:
        """Never raises: whatever goes wrong is the attempt's error."""
        started = time.perf_counter()
        try:
            urlsafety.parse(url, allow_private=self.allow_private)
            with (
                _deadline(self._timeout),
                self._client.stream("POST", url, content=body.encode(), headers=headers) as response,
            ):
                # The status is all we need: the body is left unread, however big it is.
                status = response.status_code
        except urlsafety.UnsafeUrl as error:
            return Attempt(None, _ms_since(started), f"refused: {error}")
        except httpx.TimeoutException:
            return Attempt(None, _ms_since(started), f"timed out after {self._timeout:g} s")
        except Exception as error:
            return Attempt(None, _ms_since(started), f"{type(error).__name__}: {error}"[:500])
        duration = _ms_since(started)
        if 200 <= status < 300:
            return Attempt(status, duration, None)
        return Attempt(status, duration, f"HTTP {status}")


def _ms_since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
