"""Where webhooks may go: https to public addresses only (no SSRF into the operator's network).

Checked when a subscription is made, and again whenever the sender opens a connection: it
connects to the very address it checked (``sender.GuardedBackend``), so a name that resolves
elsewhere a moment later (DNS rebinding) gains nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import httpx

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# getaddrinfo() takes no timeout; lookups run here so a caller can stop waiting for one.
_resolver = ThreadPoolExecutor(max_workers=8, thread_name_prefix="resolve")

# IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64, RFC 6052 and 8215;
# IPv4-translated (RFC 2765) as well.
_NAT64 = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
    ipaddress.IPv6Network("::ffff:0:0:0/96"),
)
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_SITE_LOCAL = ipaddress.IPv6Network("fec0::/10")  # deprecated, but still routed privately


class UnsafeUrl(ValueError):
    """Why a URL may not receive webhooks (the text is shown to the partner)."""


class ResolveTimeout(UnsafeUrl):
    """The name did not resolve in time (a delivery retries later)."""


def parse(url: str, *, allow_private: bool) -> tuple[str, str, int]:
    """Scheme, host and port of an acceptable URL (no resolution yet)."""
    try:
        parts = urlsplit(url)
        port = parts.port
        httpx.URL(url)  # what the sender will be given: no control characters, a valid host
    except (ValueError, httpx.InvalidURL) as error:
        raise UnsafeUrl(f"not a valid URL ({error})") from None
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise UnsafeUrl("only https URLs can receive webhooks")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("credentials in the URL are not allowed; use the webhook api key")
    if not parts.hostname:
        raise UnsafeUrl("the URL has no host")
    if parts.fragment:
        raise UnsafeUrl("the URL must not have a fragment")
    if port == 0:
        raise UnsafeUrl("port 0 cannot receive requests")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, Teredo, NAT64, IPv4-compatible)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in network for network in _NAT64) or (
        address in _IPV4_COMPATIBLE and int(address) > 1  # not :: or ::1
    ):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address in _SITE_LOCAL:
            return False
        embedded = _embedded_ipv4(address)
        if embedded is not None and not is_public(embedded):
            return False
    # is_global excludes loopback, private, link-local (cloud metadata), shared (CGNAT), reserved
    # and documentation ranges; multicast can be "global" but never receives an HTTP request.
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int, *, timeout: float) -> list[IpAddress]:
    lookup = _resolver.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = lookup.result(timeout=max(timeout, 0.001))
    except FutureTimeout:
        raise ResolveTimeout(f"the host {host} did not resolve within {timeout:g} s") from None
    except (OSError, UnicodeError) as error:
        raise UnsafeUrl(f"the host {host} does not resolve ({error})") from None
    return _addresses(host, infos)


def _addresses(host: str, infos: list[Any]) -> list[IpAddress]:
    addresses: list[IpAddress] = []
    for info in infos:
        # The scope of a link-local IPv6 address ("fe80::1%eth0") is not part of the address.
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeUrl(f"the host {host} does not resolve")
    return addresses


def checked_address(host: str, port: int, *, allow_private: bool, timeout: float) -> IpAddress:
    """The address to connect to. Every address of the name must be public: a name with one
    public and one private address could be steered to the private one. The addresses are not
    named in the error: partners need not learn the operator's network."""
    return _pick(host, resolve(host, port, timeout=timeout), allow_private=allow_private)


async def checked_address_async(host: str, port: int, *, allow_private: bool) -> IpAddress:
    """:func:`checked_address` for the async sender; the caller's deadline bounds the lookup."""
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        lookup = _resolver.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        try:
            infos = await asyncio.wrap_future(lookup)
        except (OSError, UnicodeError) as error:
            raise UnsafeUrl(f"the host {host} does not resolve ({error})") from None
        addresses = _addresses(host, infos)
    return _pick(host, addresses, allow_private=allow_private)


def _pick(host: str, addresses: list[IpAddress], *, allow_private: bool) -> IpAddress:
    if not allow_private and not all(is_public(address) for address in addresses):
        raise UnsafeUrl(f"{host} resolves to an address that is not public")
    # IPv4 first: a receiver with a broken IPv6 route is more common than the reverse.
    return sorted(addresses, key=lambda address: address.version)[0]


@dataclass(frozen=True, slots=True)
class Target:
    """Where a POST to an acceptable URL goes: the origin (pooled connections are per origin),
    the request target and the Host header."""

    scheme: str
    host: str
    port: int
    path: bytes
    host_header: str


@lru_cache(maxsize=4096)
def target(url: str, *, allow_private: bool) -> Target:
    """:func:`parse` plus what the request needs; cached (a subscription's URL is sent to again
    and again). Raises :class:`UnsafeUrl` (not cached)."""
    scheme, _, port = parse(url, allow_private=allow_private)
    parsed = httpx.URL(url)
    # The ASCII (IDNA) form of the name: what is resolved, and what TLS checks the certificate for.
    ascii_host = parsed.raw_host.decode("ascii")
    named = f"[{ascii_host}]" if ":" in ascii_host else ascii_host
    host_header = named if port == (443 if scheme == "https" else 80) else f"{named}:{port}"
    return Target(scheme, ascii_host, port, parsed.raw_path or b"/", host_header)


def check(url: str, *, allow_private: bool, timeout: float = 5.0) -> None:
    """Raises :class:`UnsafeUrl` unless ``url`` may receive webhooks now."""
    _, host, port = parse(url, allow_private=allow_private)
    checked_address(host, port, allow_private=allow_private, timeout=timeout)
