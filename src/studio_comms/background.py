"""The outbox worker wired with its handlers: standalone (``studio-comms worker``) or in ``serve``."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from studio_comms.core import secrets
from studio_comms.core.clock import utcnow
from studio_comms.core.vocabulary import CommunicationChannel
from studio_comms.db.database import Database
from studio_comms.messages.transports import Transport
from studio_comms.messages.wiring import build_transports, message_handler
from studio_comms.outbox.backoff import JITTER
from studio_comms.outbox.service import EVENT_KIND, MESSAGE_KIND, WEBHOOK_KIND
from studio_comms.outbox.wakeup import waker_for
from studio_comms.outbox.worker import Handler, Worker, WorkerConfig
from studio_comms.settings import Settings
from studio_comms.sms.transport import TwilioTransport
from studio_comms.webhooks.handlers import Deliver, FanOut
from studio_comms.webhooks.sender import Sender

log = logging.getLogger("studio_comms.worker")


def worker_engine_options(settings: Settings) -> dict[str, Any]:
    """Connections for a worker: one per thread of plain handlers, plus the loop's and waking.

    Without the pool's ping before each checkout (measured: ~8 % of a delivery's CPU on
    PostgreSQL): a connection that died fails its item's transaction, SQLAlchemy discards it,
    and the item runs again, so nothing is lost.
    """
    return {"pool_size": settings.worker_concurrency + 2, "pool_pre_ping": False}


def build_worker(
    settings: Settings, database: Database, *, clock: Callable[[], datetime] = utcnow, listen: bool = True
) -> Worker:
    secrets.install_from(settings)  # the worker opens SMS tokens and webhook secrets to send
    sender = Sender(
        timeout=settings.webhook_timeout_seconds,
        allow_private=settings.webhook_allow_private_networks,
        ca_bundle=settings.webhook_ca_bundle,
    )
    handlers: dict[str, Handler] = {
        EVENT_KIND: FanOut(),
        WEBHOOK_KIND: Deliver(
            database,
            sender,
            disable_after=timedelta(seconds=settings.webhook_disable_after_seconds),
            quiet_gap=timedelta(
                seconds=max(settings.webhook_retry_schedule, default=0) * (1 + JITTER)
                + settings.worker_lease_seconds
            ),
            per_endpoint=settings.webhook_max_in_flight_per_endpoint,
            # Waiting for the endpoint must leave the attempt its whole timeout within the lease,
            # and most of the rest for recording it: a lease that expires before the result is
            # recorded lets another worker send the delivery again.
            patience=min(1.0, (settings.worker_lease_seconds - settings.webhook_timeout_seconds) / 4),
        ),
        MESSAGE_KIND: message_handler(settings, database, _transports(settings, database)),
    }
    config = WorkerConfig(
        retry_schedule=settings.webhook_retry_schedule,
        lease_seconds=settings.worker_lease_seconds,
        poll_seconds=settings.worker_poll_seconds,
        batch_size=settings.worker_batch_size,
        concurrency=settings.worker_concurrency,
        max_in_flight=settings.worker_max_in_flight,
        lag_warning_seconds=settings.outbox_lag_warning_seconds,
    )
    waker = waker_for(settings.database_url) if listen else None
    return Worker(database, handlers, config, clock=clock, waker=waker)


def _transports(settings: Settings, database: Database) -> dict[CommunicationChannel, Transport]:
    """E-mail as the settings say; SMS through each studio's Twilio account (none configured: the
    message fails, saying so)."""
    sms = TwilioTransport(
        database, api_base_url=settings.twilio_api_url, public_base_url=settings.public_base_url
    )
    return {**build_transports(settings), CommunicationChannel.TEXT_MESSAGE: sms}


class EmbeddedWorker:
    """A worker on a thread of the API process (``serve`` without ``--no-worker``)."""

    def __init__(self, worker: Worker, *, dispose: Callable[[], None] | None = None) -> None:
        self.worker = worker
        self._dispose = dispose
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-worker", daemon=True)

    def _run(self) -> None:
        try:
            self.worker.run(self._stop)
        except Exception:
            log.exception("the embedded outbox worker stopped with an error")

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finishes the items in flight (up to ``timeout``), as ``studio-comms worker`` on SIGTERM."""
        self._stop.set()
        self._thread.join(timeout)
        self.worker.close()
        if self._dispose is not None:
            self._dispose()
