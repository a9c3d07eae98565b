from __future__ import annotations

import ipaddress

import pytest

from studio_comms.webhooks.urlsafety import UnsafeUrl, check, is_public, parse


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.0.0.1", "172.31.255.255", "192.168.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
     "224.0.0.1", "255.255.255.255", "192.0.2.1", "::1", "fe80::1", "fc00::1", "::ffff:10.0.0.1", "::"],
)  # fmt: skip
def test_private_and_special_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "::ffff:1.1.1.1"])
def test_public_addresses(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


def test_parse_gives_the_default_port_of_the_scheme() -> None:
    assert parse("https://example.org/x", allow_private=False) == ("https", "example.org", 443)
    assert parse("http://example.org:8080/x", allow_private=True) == ("http", "example.org", 8080)


@pytest.mark.parametrize("url", ["https://example.org:99999/", "https://example.org/#frag", "HTTPS://"])
def test_malformed_urls(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        parse(url, allow_private=True)


def test_allowing_private_networks_still_refuses_other_schemes() -> None:
    with pytest.raises(UnsafeUrl, match="only https"):
        check("file:///etc/passwd", allow_private=True)
    assert check("http://127.0.0.1:8/x", allow_private=True).address == ipaddress.ip_address("127.0.0.1")


def test_a_literal_public_address_needs_no_dns() -> None:
    target = check("https://93.184.215.14/hook", allow_private=False)
    assert (target.host, target.port, str(target.address)) == ("93.184.215.14", 443, "93.184.215.14")
