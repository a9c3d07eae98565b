"""Delivery bench pieces: a studio with its customers, an SMTP sink on loopback noting arrivals."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.controller import Controller

from benchlib.procs import free_port
from studio_comms.admin.onboarding import create_studio_with_offer
from studio_comms.apikeys.schemas import ApiKeyCreate
from studio_comms.apikeys.service import create_key
from studio_comms.core.auth import Scope
from studio_comms.customers.schemas import CustomerUpsert
from studio_comms.customers.service import upsert_customer
from studio_comms.db.database import Database
from studio_comms.studios.schemas import StudioCreate


@dataclass
class Sink:
    """Counts the messages it accepts and when the first and the last arrived (monotonic clock)."""

    count: int = 0
    first: float = 0.0
    last: float = 0.0
    message_ids: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        arrived = time.monotonic()
        content: bytes = envelope.original_content or b""
        header = next(
            (
                line
                for line in content.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
                if line.lower().startswith(b"message-id:")
            ),
            b"",
        )
        with self.lock:
            self.count += 1
            self.first = self.first or arrived
            self.last = arrived
            self.message_ids.add(header.decode(errors="replace"))
        return "250 OK"

    def reset(self) -> None:
        with self.lock:
            self.count, self.first, self.last = 0, 0.0, 0.0
            self.message_ids = set()


@contextlib.contextmanager
def smtp_sink() -> Iterator[tuple[Sink, str]]:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


def studio_with_customers(db: Database, customers: int) -> tuple[int, str]:
    """A studio with customers 1..N (each with an e-mail address) and an all-scope key."""
    now = datetime.now(UTC)
    with db.transaction() as tx:
        studio = create_studio_with_offer(tx, StudioCreate(name="Bench Studio"), now=now).studioId
        for number in range(1, customers + 1):
            details = CustomerUpsert(
                firstName=f"Member{number}", lastName="Bench", email=f"m{number}@bench.example"
            )
            upsert_customer(tx, studio, number, details, now=now)
        key = create_key(tx, studio, ApiKeyCreate(name="bench", scopes=list(Scope)), now=now).apiKey
    return studio, key


def bulk_body(customers: int) -> dict[str, Any]:
    return {
        "customerIds": list(range(1, customers + 1)),
        "messageCategory": "APPOINTMENT",
        "communicationChannel": "EMAIL",
        "subject": "Your class, {{ firstName }}",
        "content": "Hello {{ firstName }}, your class at {{ studioName }} starts at 18:00.",
    }
