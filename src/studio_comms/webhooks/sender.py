"""One HTTP attempt of a delivery, to the address the URL check approved."""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from studio_comms.webhooks import urlsafety


@dataclass(frozen=True, slots=True)
class Attempt:
    status_code: int | None
    duration_ms: int
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.error is None


class Sender:
    """A pooled HTTP client; safe to share between the worker's threads."""

    def __init__(self, *, timeout: float, allow_private: bool, ca_bundle: Path | None = None) -> None:
        self.allow_private = allow_private
        # No redirects (a 3xx could point anywhere, past the URL check), no proxies from the
        # environment, and the timeout applies to connecting, sending and waiting for the answer.
        verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=str(ca_bundle)) if ca_bundle else True
        )
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False, verify=verify)
        self._timeout = timeout

    def close(self) -> None:
        self._client.close()

    def post(self, url: str, body: str, headers: dict[str, str]) -> Attempt:
        started = time.perf_counter()
        try:
            target = urlsafety.check(url, allow_private=self.allow_private)
        except urlsafety.UnsafeUrl as error:
            return Attempt(None, _ms_since(started), f"refused: {error}")
        request_url, extensions, host_header = _pinned(target)
        try:
            # Streamed and closed unread: the answer's status is all we need, however big its body.
            with self._client.stream(
                "POST",
                request_url,
                content=body.encode(),
                headers={**headers, "host": host_header},
                extensions=extensions,
            ) as response:
                status = response.status_code
        except httpx.TimeoutException:
            return Attempt(None, _ms_since(started), f"timed out after {self._timeout:g} s")
        except httpx.HTTPError as error:
            return Attempt(None, _ms_since(started), f"{type(error).__name__}: {error}"[:500])
        duration = _ms_since(started)
        if 200 <= status < 300:
            return Attempt(status, duration, None)
        return Attempt(status, duration, f"HTTP {status}")


def _pinned(target: urlsafety.Target) -> tuple[httpx.URL, dict[str, str], str]:
    """Connect to the checked address, while TLS and ``Host`` still name the URL's host."""
    url = httpx.URL(target.url)
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    if ":" in target.host and not target.host.startswith("["):
        host_header = f"[{target.host}]" if target.port == default_port else f"[{target.host}]:{target.port}"
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return url.copy_with(host=str(target.address)), extensions, host_header


def _ms_since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
