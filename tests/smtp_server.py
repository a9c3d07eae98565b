"""A real SMTP server on loopback (aiosmtpd) for the delivery tests and the bench: records what
arrives; optionally STARTTLS, implicit TLS, AUTH, and refusing with a given reply."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session


@dataclass(frozen=True)
class Arrived:
    mail_from: str
    recipients: list[str]
    raw: bytes
    # Whether the session was encrypted (STARTTLS or implicit TLS) and authenticated.
    tls: bool = False
    authenticated: bool = False

    @property
    def mail(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Inbox:
    arrived: list[Arrived] = field(default_factory=list)
    # Set to e.g. "451 4.3.0 try later" to refuse every DATA with that reply.
    refuse_with: str | None = None
    # Per recipient address: refuse RCPT TO with this reply ("550 5.1.1 …").
    refuse_rcpt: dict[str, str] = field(default_factory=dict)
    sessions: int = 0
    # Seconds to take over each message before answering (a kill then lands mid-send).
    delay_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self.refuse_rcpt.get(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        if self.refuse_with is not None:
            return self.refuse_with
        raw = envelope.original_content or b""
        with self.lock:
            self.arrived.append(
                Arrived(
                    str(envelope.mail_from),
                    list(envelope.rcpt_tos),
                    raw,
                    # STARTTLS sets session.ssl; implicit TLS shows on the transport.
                    tls=session.ssl is not None or server.transport.get_extra_info("sslcontext") is not None,
                    authenticated=bool(session.authenticated),
                )
            )
        return "250 OK"

    async def handle_EHLO(
        self, server: Any, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        with self.lock:
            self.sessions += 1
        session.host_name = hostname
        return responses


@dataclass
class SmtpServer:
    host: str
    port: int
    inbox: Inbox
    scheme: str = "smtp"
    credentials: tuple[str, str] | None = None

    def url(self, query: str = "") -> str:
        user = f"{self.credentials[0]}:{self.credentials[1]}@" if self.credentials else ""
        return f"{self.scheme}://{user}{self.host}:{self.port}{query}"

    @property
    def arrived(self) -> list[Arrived]:
        with self.inbox.lock:
            return list(self.inbox.arrived)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _authenticator(expected: tuple[str, str]) -> Any:
    def check(server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == expected
        return AuthResult(success=ok, handled=False)

    return check


@contextmanager
def running_smtp(
    *,
    starttls: ssl.SSLContext | None = None,
    implicit_tls: ssl.SSLContext | None = None,
    credentials: tuple[str, str] | None = None,
) -> Iterator[SmtpServer]:
    """``starttls``: offer STARTTLS with this server context (and require it); ``implicit_tls``:
    TLS from the first byte (smtps); ``credentials``: require AUTH with this login and password."""
    inbox = Inbox()
    port = free_port()
    options: dict[str, Any] = {}
    if starttls is not None:
        options.update(tls_context=starttls, require_starttls=True)
    if credentials is not None:
        options.update(
            authenticator=_authenticator(credentials),
            auth_required=True,
            auth_require_tls=starttls is not None,
        )
        if starttls is None:
            options["auth_require_tls"] = False
    if implicit_tls is not None:
        options["ssl_context"] = implicit_tls
    controller = Controller(inbox, hostname="127.0.0.1", port=port, server_hostname="localhost", **options)
    controller.start()
    try:
        yield SmtpServer(
            "127.0.0.1", port, inbox, scheme="smtps" if implicit_tls else "smtp", credentials=credentials
        )
    finally:
        controller.stop()
