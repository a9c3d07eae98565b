from __future__ import annotations

import ipaddress

import pytest

from studio_comms.webhooks.urlsafety import UnsafeUrl, check, checked_address, is_public, parse


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
    assert checked_address("127.0.0.1", 8, allow_private=True, timeout=1) == ipaddress.ip_address("127.0.0.1")


def test_a_literal_public_address_needs_no_dns() -> None:
    check("https://93.184.215.14/hook", allow_private=False)
    assert checked_address("93.184.215.14", 443, allow_private=False, timeout=1) == ipaddress.ip_address(
        "93.184.215.14"
    )


def test_a_private_address_is_not_named_in_the_refusal() -> None:
    with pytest.raises(UnsafeUrl) as refusal:
        checked_address("localhost", 443, allow_private=False, timeout=1)
    assert str(refusal.value) == "localhost resolves to an address that is not public"


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b:1::a00:1",  # local-use NAT64 of 10.0.0.1
        "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo: its client is not public
        "::7f00:1",  # IPv4-compatible 127.0.0.1
        "::ffff:0:7f00:1",  # IPv4-translated 127.0.0.1
        "fec0::1",  # site-local
    ],
)
def test_ipv6_forms_of_private_ipv4_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


def test_ipv6_forms_of_public_ipv4_addresses_stay_public() -> None:
    assert is_public(ipaddress.ip_address("64:ff9b::808:808"))  # NAT64 of 8.8.8.8


@pytest.mark.parametrize(
    "url", ["https://ex\tample.org/", "https://example.org/a\nb", "https://example.org:0/"]
)
def test_urls_the_sender_could_not_use_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        parse(url, allow_private=True)
