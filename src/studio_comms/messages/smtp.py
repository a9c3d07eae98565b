"""E-mail out: over SMTP with reused connections, or into ``.eml`` files when no server is set.

``STUDIO_COMMS_SMTP_URL``: ``smtp://[user:password@]host[:port]`` (STARTTLS when the server offers
it, required before credentials are sent; ``?starttls=required`` always, ``?starttls=off`` never,
for a relay on loopback) or ``smtps://…`` (TLS from the first byte, port 465 by default).
Connections are kept between messages (one per worker thread at most) and replaced when the
server dropped them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import smtplib
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from studio_comms.core.clock import utcnow
from studio_comms.messages.email_message import DkimKey, compose
from studio_comms.messages.transports import OutgoingMessage, SendResult

log = logging.getLogger("studio_comms.messages")


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool
    starttls: str  # "auto", "required", "off"
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("the SMTP URL must be smtp://[user:password@]host[:port] or smtps://…")
        starttls = parse_qs(parts.query).get("starttls", ["auto"])[0]
        if starttls not in ("auto", "required", "off"):
            raise ValueError("starttls must be auto, required or off")
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit else 25),
            implicit_tls=implicit,
            starttls="off" if implicit else starttls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def describe(self) -> str:
        """For the startup lines and logs: never the password."""
        user = f"{self.username}@" if self.username else ""
        tls = "TLS" if self.implicit_tls else f"STARTTLS {self.starttls}"
        return f"{'smtps' if self.implicit_tls else 'smtp'}://{user}{self.host}:{self.port} ({tls})"


class SmtpTransport:
    """Sends each message on a pooled connection; a connection that failed is closed, not reused."""

    def __init__(
        self,
        target: SmtpTarget,
        *,
        timeout: float,
        ca_bundle: Path | None = None,
        dkim_key: DkimKey | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.target = target
        self.timeout = timeout
        self.dkim_key = dkim_key
        self.clock = clock
        self._context = ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)
        self._idle: list[smtplib.SMTP] = []
        self._lock = threading.Lock()

    def send(self, message: OutgoingMessage) -> SendResult:
        raw = compose(message, date=self.clock(), dkim_key=self.dkim_key)
        # A pooled connection the server closed meanwhile fails at once: one more try on a new one.
        for reused in (True, False):
            try:
                connection = self._take() if reused else self._connect()
            except (OSError, smtplib.SMTPException) as error:
                return SendResult(
                    False, error=f"cannot connect to the SMTP server: {_describe(error)}", retryable=True
                )
            if connection is None:
                continue
            try:
                connection.sendmail(message.envelope_from or message.sender_address, [message.to], raw)
            except smtplib.SMTPRecipientsRefused as error:
                self._give_back(connection)
                code, text = next(iter(error.recipients.values()))
                return SendResult(
                    False,
                    error=f"recipient refused: {code} {_text(text)}",
                    retryable=400 <= code < 500,
                    smtp_reply=f"{code} {_text(text)}",
                )
            except smtplib.SMTPResponseException as error:
                self._discard(connection)
                return SendResult(
                    False,
                    error=f"{error.smtp_code} {_text(error.smtp_error)}",
                    retryable=400 <= error.smtp_code < 500,
                    smtp_reply=f"{error.smtp_code} {_text(error.smtp_error)}",
                )
            except (OSError, smtplib.SMTPException) as error:
                self._discard(connection)
                if reused:
                    continue
                return SendResult(False, error=f"SMTP connection failed: {_describe(error)}", retryable=True)
            self._give_back(connection)
            return SendResult(True, provider_message_id=message.message_id_header)
        return SendResult(False, error="SMTP connection failed", retryable=True)

    def _take(self) -> smtplib.SMTP | None:
        with self._lock:
            return self._idle.pop() if self._idle else None

    def _give_back(self, connection: smtplib.SMTP) -> None:
        with self._lock:
            self._idle.append(connection)

    def _discard(self, connection: smtplib.SMTP) -> None:
        with contextlib.suppress(OSError):
            connection.close()

    def _connect(self) -> smtplib.SMTP:
        target = self.target
        connection: smtplib.SMTP
        if target.implicit_tls:
            connection = smtplib.SMTP_SSL(
                target.host, target.port, timeout=self.timeout, context=self._context
            )
        else:
            connection = smtplib.SMTP(target.host, target.port, timeout=self.timeout)
        try:
            connection.ehlo()
            if not target.implicit_tls and target.starttls != "off":
                offered = connection.has_extn("starttls")
                if offered:
                    connection.starttls(context=self._context)
                    connection.ehlo()
                elif target.starttls == "required" or target.username:
                    # Never send credentials in the clear.
                    raise smtplib.SMTPNotSupportedError("the SMTP server does not offer STARTTLS")
            if target.username:
                connection.login(target.username, target.password or "")
        except BaseException:
            self._discard(connection)
            raise
        return connection

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            try:
                connection.quit()
            except (OSError, smtplib.SMTPException):
                self._discard(connection)


class EmlTransport:
    """No SMTP server configured (``make run``): each message becomes ``<dir>/<message>.eml``.

    The file is named after the message, so a retry overwrites it instead of adding a copy.
    """

    def __init__(
        self, directory: Path, *, dkim_key: DkimKey | None = None, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.directory = directory
        self.dkim_key = dkim_key
        self.clock = clock

    def send(self, message: OutgoingMessage) -> SendResult:
        raw = compose(message, date=self.clock(), dkim_key=self.dkim_key)
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"studio-{message.studio_id}-message-{message.message_id}.eml"
        temporary = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        temporary.write_bytes(raw)
        temporary.replace(path)
        return SendResult(True, provider_message_id=message.message_id_header)

    def close(self) -> None:
        """Holds nothing."""


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
