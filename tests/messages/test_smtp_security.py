"""DKIM signatures that verify, STARTTLS, implicit TLS (smtps) and AUTH against a real server."""

from __future__ import annotations

import base64
import ssl
from pathlib import Path

import dkim
import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from pydantic import SecretStr

from studio_comms.background import build_worker
from studio_comms.db.database import Database
from studio_comms.settings import Settings
from tests.conftest import FixedClock
from tests.messages.conftest import message, send, set_preference
from tests.smtp_server import SmtpServer, running_smtp

SELECTOR = "sc2026"


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_bundle(authority: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def server_tls(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


def _drain(settings: Settings, db: Database, clock: FixedClock) -> None:
    worker = build_worker(settings, db, clock=clock, listen=False)
    try:
        worker.drain()
    finally:
        worker.close()


@pytest.fixture
def dkim_key(tmp_path: Path) -> tuple[Path, bytes]:
    """A private key file and the DNS TXT record publishing its public key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "dkim.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return path, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def test_a_signed_message_verifies_and_a_changed_one_does_not(
    api: TestClient,
    db: Database,
    clock: FixedClock,
    settings: Settings,
    smtp: SmtpServer,
    dkim_key: tuple[Path, bytes],
) -> None:
    path, record = dkim_key
    signing = settings.model_copy(update={"dkim_private_key_path": path, "dkim_selector": SELECTOR})
    set_preference(api, 1, "NEWSLETTER", "EMAIL", active=True)
    send(api, messageCategory="NEWSLETTER", html="<p>News</p>")
    _drain(signing, db, clock)
    [arrived] = smtp.arrived
    asked: list[bytes] = []

    def dns(name: bytes, timeout: int = 5) -> bytes:
        asked.append(name)
        return record

    assert dkim.verify(arrived.raw, dnsfunc=dns) is True
    assert asked == [f"{SELECTOR}._domainkey.studio.example.".encode()]
    signature = arrived.mail["DKIM-Signature"]
    assert "d=studio.example" in signature
    # The one-click headers are signed (RFC 8058 §4).
    assert "list-unsubscribe" in signature.lower()
    assert dkim.verify(arrived.raw.replace(b"News", b"Spam"), dnsfunc=dns) is False


def test_an_eml_file_carries_a_dkim_signature_that_verifies(
    api: TestClient,
    db: Database,
    clock: FixedClock,
    settings: Settings,
    dkim_key: tuple[Path, bytes],
    tmp_path: Path,
) -> None:
    """Without an SMTP server the .eml file is the message as it would go out: signed alike."""
    path, record = dkim_key
    to_files = settings.model_copy(
        update={
            "smtp_url": None,
            "var_dir": tmp_path,
            "dkim_private_key_path": path,
            "dkim_selector": SELECTOR,
        }
    )
    set_preference(api, 1, "NEWSLETTER", "EMAIL", active=True)
    send(api, messageCategory="NEWSLETTER", html="<p>News</p>")
    _drain(to_files, db, clock)
    [eml] = (tmp_path / "mail").glob("*.eml")
    raw = eml.read_bytes()

    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == f"{SELECTOR}._domainkey.studio.example.".encode()
        return record

    assert raw.startswith(b"DKIM-Signature:")
    assert dkim.verify(raw, dnsfunc=dns) is True
    assert dkim.verify(raw.replace(b"News", b"Spam"), dnsfunc=dns) is False


def test_starttls_with_auth(
    api: TestClient,
    db: Database,
    clock: FixedClock,
    settings: Settings,
    server_tls: ssl.SSLContext,
    ca_bundle: Path,
) -> None:
    with running_smtp(starttls=server_tls, credentials=("studio", "s3cret pass")) as server:
        configured = settings.model_copy(
            update={
                "smtp_url": SecretStr(server.url().replace("s3cret pass", "s3cret%20pass")),
                "smtp_ca_bundle": ca_bundle,
            }
        )
        accepted = send(api)
        _drain(configured, db, clock)
        [arrived] = server.arrived
    assert (arrived.tls, arrived.authenticated) == (True, True)
    assert message(api, accepted["messageId"])["status"] == "SENT"


def test_implicit_tls(
    api: TestClient,
    db: Database,
    clock: FixedClock,
    settings: Settings,
    server_tls: ssl.SSLContext,
    ca_bundle: Path,
) -> None:
    with running_smtp(implicit_tls=server_tls) as server:
        assert server.url().startswith("smtps://")
        configured = settings.model_copy(
            update={"smtp_url": SecretStr(server.url()), "smtp_ca_bundle": ca_bundle}
        )
        send(api)
        _drain(configured, db, clock)
        [arrived] = server.arrived
    assert arrived.tls is True


def test_an_untrusted_certificate_is_refused(
    api: TestClient, db: Database, clock: FixedClock, settings: Settings, server_tls: ssl.SSLContext
) -> None:
    with running_smtp(implicit_tls=server_tls) as server:
        send(api)
        _drain(settings.model_copy(update={"smtp_url": SecretStr(server.url())}), db, clock)
        assert server.arrived == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_credentials_are_never_sent_without_tls(
    api: TestClient, db: Database, clock: FixedClock, settings: Settings
) -> None:
    with running_smtp(credentials=("studio", "secret")) as server:
        accepted = send(api)
        _drain(settings.model_copy(update={"smtp_url": SecretStr(server.url())}), db, clock)
        assert server.arrived == []
    read = message(api, accepted["messageId"])
    assert read["status"] == "QUEUED"
    assert "STARTTLS" in read["statusReason"]


def test_with_smtp_the_lease_must_outlast_an_smtp_exchange() -> None:
    with pytest.raises(ValueError, match="worker_lease_seconds must be longer than smtp_timeout_seconds"):
        Settings(smtp_url="smtp://127.0.0.1:25", worker_lease_seconds=10, smtp_timeout_seconds=10)  # type: ignore[arg-type]
    # Without a server (.eml files) nothing waits on the network.
    assert Settings(worker_lease_seconds=10, smtp_timeout_seconds=10).smtp_url is None
