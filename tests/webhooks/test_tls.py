"""https receivers: the sender connects to the checked address, yet TLS still verifies the host name."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import trustme

from tests.receiver import running_receiver
from tests.webhooks.blocking import BlockingSender


@pytest.fixture
def ca(tmp_path: Path) -> tuple[trustme.CA, Path]:
    authority = trustme.CA()
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    return authority, bundle


def _server_context(authority: trustme.CA, name: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(name).configure_cert(context)
    return context


def test_https_delivery_verifies_the_certificate_of_the_url_host(ca: tuple[trustme.CA, Path]) -> None:
    authority, bundle = ca
    with running_receiver(_server_context(authority, "localhost")) as receiver:
        sender = BlockingSender(timeout=2, allow_private=True, ca_bundle=bundle)
        try:
            attempt = sender.post(receiver.url, '{"entityId":1,"uuid":"u","payload":[]}', {"x-api-key": "k"})
        finally:
            sender.close()
        assert attempt.error is None
        assert attempt.status_code == 200
        [request] = receiver.requests
        # Sent to 127.0.0.1, but named as the URL names it.
        assert request.headers["host"] == receiver.url.split("/")[2]
        assert request.headers["x-api-key"] == "k"


def test_a_certificate_for_another_name_fails_the_attempt(ca: tuple[trustme.CA, Path]) -> None:
    authority, bundle = ca
    with running_receiver(_server_context(authority, "other.example")) as receiver:
        sender = BlockingSender(timeout=2, allow_private=True, ca_bundle=bundle)
        try:
            attempt = sender.post(receiver.url, "{}", {})
        finally:
            sender.close()
        assert attempt.status_code is None
        assert attempt.error is not None
        assert "CERTIFICATE_VERIFY_FAILED" in attempt.error or "certificate" in attempt.error.lower()
        assert receiver.requests == []


def test_an_untrusted_ca_fails_the_attempt(ca: tuple[trustme.CA, Path]) -> None:
    authority, _ = ca
    with running_receiver(_server_context(authority, "localhost")) as receiver:
        sender = BlockingSender(timeout=2, allow_private=True)  # the system's CAs only
        try:
            attempt = sender.post(receiver.url, "{}", {})
        finally:
            sender.close()
        assert attempt.error is not None
        assert receiver.requests == []
