"""Where webhooks may go: https to public addresses only (no SSRF into the operator's network).

Checked when a subscription is made and again before every request, against the addresses the
request will actually use (the sender connects to the checked address: no DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(ValueError):
    """Why a URL may not receive webhooks (the text is shown to the partner)."""


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    address: IpAddress


def parse(url: str, *, allow_private: bool) -> tuple[str, str, int]:
    """Scheme, host and port of an acceptable URL (no resolution yet)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
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
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def is_public(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    # is_global excludes loopback, private, link-local (cloud metadata), shared (CGNAT), reserved
    # and documentation ranges; multicast can be "global" but never receives an HTTP request.
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int) -> list[IpAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeUrl(f"the host {host} does not resolve ({error})") from None
    addresses: list[IpAddress] = []
    for info in infos:
        # The scope of a link-local IPv6 address ("fe80::1%eth0") is not part of the address.
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def check(url: str, *, allow_private: bool) -> Target:
    """The address to send to; raises :class:`UnsafeUrl` when the URL is not acceptable.

    Every address the host resolves to must be public: a name that resolves to one public and one
    private address could be steered to the private one.
    """
    scheme, host, port = parse(url, allow_private=allow_private)
    addresses = resolve(host, port)
    if not addresses:
        raise UnsafeUrl(f"the host {host} does not resolve")
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise UnsafeUrl(f"{host} resolves to {address}, which is not a public address")
    # IPv4 first: a receiver with a broken IPv6 route is more common than the reverse.
    preferred = sorted(addresses, key=lambda address: address.version)[0]
    return Target(url=url, scheme=scheme, host=host, port=port, address=preferred)
