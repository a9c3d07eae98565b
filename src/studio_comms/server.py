"""How ``studio-comms serve`` runs the app under uvicorn: the HTTP parser, its limits, proxies.

uvicorn's fast parser (httptools) has no limit on a request's head: it buffers a header of any size
(joining the pieces as they arrive, so a 16 MB header costs seconds of CPU on the event loop) and
hands it to the app. h11 has a limit but parses in Python, several times the CPU per request. So
``serve`` keeps httptools and counts the bytes of each head before the parser sees them: a head
over ``max_header_bytes`` is answered 431 and the connection closed after reading one chunk past
the limit, before any header is parsed, routed or authenticated.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import Any, ClassVar

import orjson
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from studio_comms.cli_worker import configure_logging
from studio_comms.core.errors import HeadersTooLarge
from studio_comms.core.messages import DEFAULT_LANGUAGE, render
from studio_comms.main import create_app
from studio_comms.settings import Settings
from studio_comms.supervisor import Supervisor

log = logging.getLogger("studio_comms.server")
_END_OF_HEAD = b"\r\n\r\n"


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing a request head (request line and headers) over a limit.

    The bytes are counted per received chunk while no body is being read, so the check costs a
    comparison per chunk; only a chunk that crosses the limit is searched for the end of the head.
    (A pipelined request that starts inside the chunk ending the previous one is counted from its
    next chunk: at most one read, 256 KiB, more.)
    """

    max_head_bytes: ClassVar[int] = 16 * 1024
    max_header_count: ClassVar[int] = 100

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_body = False
        self._head_bytes = 0
        self._tail = b""

    def data_received(self, data: bytes) -> None:
        if not self._in_body:
            if self._head_bytes + len(data) > self.max_head_bytes and not self._head_ends_in_time(data):
                self._refuse()
                return
            self._head_bytes += len(data)
            self._tail = data[-3:]
        super().data_received(data)

    def _head_ends_in_time(self, data: bytes) -> bool:
        # The blank line may straddle two chunks: search from the last bytes of the previous one.
        end = (self._tail + data).find(_END_OF_HEAD)
        return (
            end != -1 and self._head_bytes - len(self._tail) + end + len(_END_OF_HEAD) <= self.max_head_bytes
        )

    def on_headers_complete(self) -> None:
        self._in_body = True
        self._head_bytes = 0
        self._tail = b""
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_body = False
        super().on_message_complete()

    def _refuse(self) -> None:
        client = self.client[0] if self.client else "?"
        log.warning("refused a request head over %s bytes from %s", self.max_head_bytes, client)
        error = HeadersTooLarge(limit=self.max_head_bytes, count=self.max_header_count)
        # English: the Accept-Language header is what was too large to read.
        body = orjson.dumps(
            {
                "errorMessage": render(error.catalogue_key, DEFAULT_LANGUAGE, error.args_for_message),
                "errorCode": error.error_code,
            }
        )
        head = (
            f"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        )
        self.transport.write(head.encode() + body)
        self.transport.close()


def bounded_protocol(settings: Settings) -> type[BoundedHttpToolsProtocol]:
    """The protocol class with this deployment's limits (uvicorn instantiates it per connection)."""
    return type(
        "BoundedHttpToolsProtocol",
        (BoundedHttpToolsProtocol,),
        {"max_head_bytes": settings.max_header_bytes, "max_header_count": settings.max_header_count},
    )


def server_config(app: FastAPI, settings: Settings, *, host: str, port: int) -> uvicorn.Config:
    """What ``serve`` runs (and the tests run the same): limits, and proxies trusted only when named.

    X-Forwarded-For and X-Forwarded-Proto are believed only from ``trusted_proxies``; uvicorn's own
    default would believe them from loopback, where any local client can set them.
    """
    proxies = settings.trusted_proxies
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=bounded_protocol(settings),
        access_log=False,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=list(proxies) if proxies else None,
    )


# `serve --workers N`: the supervisor forks N processes sharing one listening socket; each builds
# its app with this factory from the environment that `serve` prepared (settings, and whether an
# outbox worker may run here).
EMBEDDED_WORKER_ENV = "STUDIO_COMMS_SERVE_EMBEDDED_WORKER"
_WORKER_SLOT = "embedded-worker.lock"
_held_slot: list[int] = []  # the slot's descriptor, open for the life of the process


def default_process_count(settings: Settings) -> int:
    """One process on SQLite (one writer; requests there cost tens of microseconds of database
    time). On PostgreSQL one per core, when Redis can count rate limits for all of them."""
    if settings.database_url.startswith("sqlite") or settings.redis_url is None:
        return 1
    return max(1, len(os.sched_getaffinity(0)))


def run_processes(settings: Settings, processes: int, *, embedded_worker: bool) -> None:
    """Serve with ``processes`` API processes forked from this one (``supervisor``: a process that
    dies or hangs is replaced at once)."""
    os.environ["STUDIO_COMMS_HOST"] = settings.host
    os.environ["STUDIO_COMMS_PORT"] = str(settings.port)
    os.environ[EMBEDDED_WORKER_ENV] = "1" if embedded_worker else "0"
    proxies = settings.trusted_proxies
    config = uvicorn.Config(
        "studio_comms.server:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        http=BoundedHttpToolsProtocol,
        ws="none",  # no WebSocket route: nothing to import for it in each process
        access_log=False,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=list(proxies) if proxies else None,
    )
    Supervisor(config, processes).run()


def app_from_environment() -> FastAPI:
    """The app of one process of ``serve --workers N``: the outbox worker runs in the one process
    that holds the worker slot (a lock file in the var directory; a process that dies gives it up,
    and the one uvicorn starts in its place can take it)."""
    settings = Settings()
    configure_logging()
    BoundedHttpToolsProtocol.max_head_bytes = settings.max_header_bytes
    BoundedHttpToolsProtocol.max_header_count = settings.max_header_count
    embedded = os.environ.get(EMBEDDED_WORKER_ENV) == "1" and _take_worker_slot(settings.var_dir)
    if embedded:
        log.info("process %s runs the outbox worker", os.getpid())
    return create_app(settings, embedded_worker=embedded)


def _take_worker_slot(var_dir: Path) -> bool:
    var_dir.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(var_dir / _WORKER_SLOT, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return False
    _held_slot.append(descriptor)
    return True
