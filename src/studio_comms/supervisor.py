"""``serve --workers N``: N API processes on one socket, a dead or hung one replaced at once.

uvicorn's own supervisor starts each process by *spawning* a new interpreter that imports the app
again (seconds on a busy machine: 5 s idle, 20 s under load were measured here), notices a death
only between health pings, and waits for a ping's answer up to its health-check timeout: a
process killed while a ping was on its way was replaced after 30 s. This supervisor imports the
app once, then *forks* each process from itself, so a replacement only builds its app; it sleeps
in ``select`` on the children's heartbeat pipes and a signal wake-up pipe, so it wakes the
moment a child exits (SIGCHLD) or starts serving (its first beat). A process that stops beating
(uvicorn's ``callback_notify`` writes a byte to a pipe every second from its event loop, so a
blocked loop stops it) for ``hang_seconds`` is killed and replaced.

The parent holds no thread, no database connection and no app: forking it is safe. SIGTERM or
SIGINT stop the children gracefully (uvicorn finishes what they serve, the embedded outbox
worker what it holds), SIGKILL after ``stop_seconds``.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import logging
import os
import select
import signal
import socket
import time
from dataclasses import dataclass, field

import uvicorn
from uvicorn.config import STARTUP_FAILURE

log = logging.getLogger("studio_comms.supervisor")
_SIGNALS = {signal.SIGCHLD, signal.SIGTERM, signal.SIGINT}
# Processes in a row that ended before they served: the app cannot start, not a crash to ride out.
_FAILED_STARTS = 5


@dataclass
class _Child:
    pid: int
    beats: int  # the read end of its heartbeat pipe
    started_at: float
    last_beat: float | None = None


@dataclass
class Supervisor:
    config: uvicorn.Config
    processes: int
    hang_seconds: float = 30.0
    # A process that has not started serving within this is taken for hung too.
    startup_seconds: float = 60.0
    stop_seconds: float = 35.0
    _children: dict[int, _Child] = field(default_factory=dict)
    _stopping: bool = False
    _stop_deadline: float = 0.0
    _wake_read: int = -1
    _wake_write: int = -1
    _failed_starts: int = 0

    def run(self) -> None:
        _preload()
        sock = self.config.bind_socket()
        # The self-pipe: a signal handler only notes the signal, its byte on the pipe wakes select.
        self._wake_read, self._wake_write = os.pipe()
        for end in (self._wake_read, self._wake_write):
            os.set_blocking(end, False)
        received: list[int] = []

        def note(signum: int, _frame: object) -> None:
            received.append(signum)

        previous = {signum: signal.signal(signum, note) for signum in _SIGNALS}
        previous_wakeup = signal.set_wakeup_fd(self._wake_write)
        log.info("supervisor %s starts %s API processes", os.getpid(), self.processes)
        try:
            for _ in range(self.processes):
                self._start(sock)
            while self._children:
                watched = [self._wake_read, *(child.beats for child in self._children.values())]
                select.select(watched, [], [], 1.0)
                with contextlib.suppress(BlockingIOError):
                    os.read(self._wake_read, 4096)
                if any(signum != signal.SIGCHLD for signum in received) and not self._stopping:
                    self._stop()
                received.clear()
                self._reap(sock)
                self._read_beats()
                self._kill_the_hung()
                if self._stopping and time.monotonic() > self._stop_deadline:
                    for child in self._children.values():
                        _signal(child.pid, signal.SIGKILL)
        finally:
            sock.close()
            signal.set_wakeup_fd(previous_wakeup)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            os.close(self._wake_read)
            os.close(self._wake_write)

    def _start(self, sock: socket.socket) -> None:
        read_end, write_end = os.pipe()
        os.set_blocking(read_end, False)
        pid = os.fork()
        if pid == 0:  # the child: serve until told to stop, then leave without the parent's cleanup
            os.close(read_end)
            code = 0
            try:
                signal.set_wakeup_fd(-1)
                for inherited in (
                    self._wake_read,
                    self._wake_write,
                    *(c.beats for c in self._children.values()),
                ):
                    os.close(inherited)
                for signum in _SIGNALS:
                    signal.signal(signum, signal.SIG_DFL)  # uvicorn installs its own for TERM and INT
                self._serve(sock, write_end)
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
            except BaseException:
                log.exception("API process %s failed", os.getpid())
                code = 1
            finally:
                logging.shutdown()
                os._exit(code)
        os.close(write_end)
        self._children[pid] = _Child(pid, read_end, time.monotonic())

    def _serve(self, sock: socket.socket, beat_fd: int) -> None:
        os.set_blocking(beat_fd, False)

        async def beat() -> None:
            with contextlib.suppress(BlockingIOError):  # a full pipe: the parent has beats enough
                os.write(beat_fd, b".")

        self.config.callback_notify = beat
        self.config.timeout_notify = 1
        uvicorn.Server(self.config).run(sockets=[sock])

    def _reap(self, sock: socket.socket) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            child = self._children.pop(pid, None)
            if child is None:
                continue
            os.close(child.beats)
            if self._stopping:
                continue
            code = os.waitstatus_to_exitcode(status)
            self._failed_starts = 0 if child.last_beat is not None else self._failed_starts + 1
            if code == STARTUP_FAILURE or self._failed_starts >= _FAILED_STARTS:
                # The app cannot start (a setting, the database): starting it again would fail alike.
                log.error("API process %s could not start (exit %s); stopping", pid, code)
                self._stop()
                continue
            log.warning("API process %s ended (exit %s); starting another", pid, code)
            self._start(sock)

    def _read_beats(self) -> None:
        now = time.monotonic()
        for child in self._children.values():
            try:
                beats = os.read(child.beats, 4096)
            except BlockingIOError:
                continue
            if beats:
                if child.last_beat is None:
                    log.info(
                        "API process %s serves (%.2f s after it was started)",
                        child.pid,
                        now - child.started_at,
                    )
                child.last_beat = now

    def _kill_the_hung(self) -> None:
        if self._stopping:
            return
        now = time.monotonic()
        for child in self._children.values():
            silent_since = child.last_beat if child.last_beat is not None else child.started_at
            limit = self.hang_seconds if child.last_beat is not None else self.startup_seconds
            if now - silent_since > limit:
                log.error(
                    "API process %s has not answered for %.0f s; killing it", child.pid, now - silent_since
                )
                _signal(child.pid, signal.SIGKILL)  # reaped (and replaced) on the next turn

    def _stop(self) -> None:
        self._stopping = True
        self._stop_deadline = time.monotonic() + self.stop_seconds
        for child in self._children.values():
            _signal(child.pid, signal.SIGTERM)


# What a process imports after the fork when it loads its config and builds its app (measured: the
# event loop, the lifespan, anyio's backend, the HTTP clients of the SMS and webhook senders, the
# Redis client of the rate limiter): imported here once, a replacement process finds them loaded.
_PRELOADED = (
    "uvloop",
    "uvicorn.loops.auto",
    "uvicorn.loops.uvloop",
    "uvicorn.lifespan.on",
    "uvicorn.middleware.proxy_headers",
    "anyio._backends._asyncio",
    "httpcore._sync.connection_pool",
    "httpcore._async.connection_pool",
    "redis.asyncio",
    "redis.cluster",
    "redis.sentinel",
    "fastapi.telemetry._runtime",
)


def _preload() -> None:
    for name in _PRELOADED:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except OSError as error:
        if error.errno != errno.ESRCH:  # already gone: reaped on the next turn
            raise
