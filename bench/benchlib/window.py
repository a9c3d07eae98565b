"""One measured window: wrk against a pinned server, and the CPU everyone spent meanwhile.

Server CPU per request = utime+stime of the server's process group over the window ÷ requests.
For PostgreSQL also the CPU of the backends serving the bench database (backends that exited
inside the window are not seen; the bench's pools keep theirs open). "Foreign" CPU is what every
other process on this shared machine used meanwhile (the bench's own processes excluded), in % of
one core: a window above --max-noise is measured again and the quietest kept.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from benchlib.postgres import Postgres
from benchlib.procs import CLK_TCK, BenchError, Server, core_busy_ticks, log, process_ticks
from benchlib.wrk import Load, WrkSettings, run_wrk

T = TypeVar("T")
# name -> count of effective writes so far (ledger rows, outbox events, ...), read around a window.
WriteCounters = Callable[[], dict[str, int]]


@dataclass
class Measurement:
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms_per_req: float
    db_cpu_ms_per_req: float | None
    requests: int
    foreign_pct: float
    pg_new_conns: int | None = None
    # name -> effective writes per request (1.00: every request wrote one).
    writes_per_req: dict[str, float] = field(default_factory=dict)


class CpuWindow:
    def __init__(self, server: Server, pg: Postgres | None, dbname: str | None) -> None:
        self.server = server
        self.pg = pg if dbname else None
        self.dbname = dbname
        self.server_s = self.db_s = self.foreign_pct = 0.0
        self.new_conns: int | None = None

    def __enter__(self) -> CpuWindow:
        self._db_before: dict[int, int] = {}
        if self.pg and self.dbname:
            self._db_before = self.pg.backend_ticks(self.dbname)
            self._sessions_before = self.pg.sessions(self.dbname)
        self._procs = process_ticks()
        self._server = self.server.cpu_ticks()
        self._start = time.monotonic()
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is not None:
            return
        wall = time.monotonic() - self._start
        self.server_s = (self.server.cpu_ticks() - self._server) / CLK_TCK
        procs = process_ticks()
        ours = {os.getpid()}
        if self.pg and self.dbname:
            db_after = self.pg.backend_ticks(self.dbname)
            self.db_s = sum(now - self._db_before.get(pid, 0) for pid, now in db_after.items()) / CLK_TCK
            self.new_conns = self.pg.sessions(self.dbname) - self._sessions_before
            ours |= set(db_after) | set(self._db_before)
        foreign = 0
        for pid, (ppid, pgrp, ticks) in procs.items():
            # The bench's children (servers, wrk) and their process groups are not foreign.
            if pid in ours or ppid == os.getpid() or pgrp == self.server.pid:
                continue
            foreign += ticks - self._procs.get(pid, (0, 0, 0))[2]
        self.foreign_pct = max(0.0, foreign / CLK_TCK / wall * 100)


@dataclass
class Meter:
    wrk: WrkSettings
    server_cpu: str
    duration: float
    warmup: float
    max_noise: float
    noise_retries: int
    quiet_wait: float
    pg: Postgres | None = None

    def measure(
        self,
        name: str,
        server: Server,
        load: Load,
        dbname: str | None,
        *,
        prepare: Callable[[], None] | None = None,
        writes: WriteCounters | None = None,
    ) -> Measurement:
        """wrk after a warm-up (``prepare`` runs before each); the quietest of the attempts."""

        def attempt() -> Measurement:
            if prepare:
                prepare()
            if self.warmup:
                run_wrk(self.wrk, server.base_url, load, self.warmup)
            if prepare:
                prepare()
            before = writes() if writes else {}
            with CpuWindow(server, self.pg, dbname) as window:
                try:
                    result = run_wrk(self.wrk, server.base_url, load, self.duration)
                except BenchError as error:
                    raise BenchError(f"{error}\n--- {server.name} log ---\n{server.log_tail()}") from error
            n = result.requests
            after = writes() if writes else {}
            m = Measurement(
                rps=result.rps,
                p50_ms=result.p50_ms,
                p99_ms=result.p99_ms,
                cpu_ms_per_req=window.server_s * 1000 / n,
                db_cpu_ms_per_req=window.db_s * 1000 / n if window.new_conns is not None else None,
                requests=n,
                foreign_pct=window.foreign_pct,
                pg_new_conns=window.new_conns,
                writes_per_req={key: (after[key] - before[key]) / n for key in after},
            )
            shown = "  ".join(f"{key}/req {value:.2f}" for key, value in m.writes_per_req.items())
            db = f"  db cpu {m.db_cpu_ms_per_req:.3f} ms/req" if m.db_cpu_ms_per_req is not None else ""
            log(
                f"  {name:<18} {m.rps:8.1f} req/s  p50 {m.p50_ms:7.2f} ms  p99 {m.p99_ms:7.2f} ms  "
                f"cpu {m.cpu_ms_per_req:.3f} ms/req{db}  foreign {m.foreign_pct:3.0f} %  {shown}"
            )
            return m

        return self._quietest(name, attempt, lambda m: m.foreign_pct)

    def wait_for_quiet(self) -> None:
        wait_for_quiet((self.server_cpu, self.wrk.client_cpu), self.max_noise, self.quiet_wait)

    def _quietest(self, name: str, attempt: Callable[[], T], noise: Callable[[T], float]) -> T:
        best: T | None = None
        for number in range(self.noise_retries + 1):
            self.wait_for_quiet()
            result = attempt()
            if best is None or noise(result) < noise(best):
                best = result
            if noise(result) <= self.max_noise:
                break
            if number < self.noise_retries:
                log(f"  {name}: {noise(result):.0f} % foreign CPU during the window, measuring again")
        assert best is not None
        return best


def wait_for_quiet(cores: tuple[str, ...], max_noise: float, quiet_wait: float) -> None:
    """On a shared machine, wait (up to quiet_wait s) until the cores are mostly idle."""
    deadline = time.monotonic() + quiet_wait
    while True:
        before = [core_busy_ticks(c) for c in cores]
        time.sleep(1.0)
        busy = [(core_busy_ticks(c) - b) / CLK_TCK * 100 for c, b in zip(cores, before, strict=True)]
        if sum(busy) <= max_noise:
            return
        shown = ", ".join(f"CPU {c} {b:.0f} %" for c, b in zip(cores, busy, strict=True))
        if time.monotonic() > deadline:
            log(f"  machine still busy ({shown}) after {quiet_wait:g}s: measuring anyway")
            return
        log(f"  machine busy ({shown}), waiting for quiet")
        time.sleep(4.0)
