#!/usr/bin/env python3
"""Benchmark of the communication-preferences and thread API against its two ceilings (``make bench``).

For each database (SQLite, PostgreSQL) and each run:

1. create a fresh database (SQLite file in a temp dir; PostgreSQL ``sc_bench_<random>``, dropped at
   the end), start the service as ONE process pinned to the server core, wait for ``/readyz``, seed
   1 studio, 1 API key (every scope) and 100 customers through the operator API; when a thread
   endpoint is measured, also one thread per customer through ``POST .../threads`` (outside any
   measured window; the ids go to a file the wrk script reads);
2. with ``wrk -t1 -c16 --latency`` pinned to the client core (2 s warm-up first), measure the
   framework ceiling (``GET /bench/ceiling``: same app, no work) and the endpoints chosen with
   ``--endpoints`` (default all), each on a random customer:
   ``get``/``put`` communication-preferences (PUT flips NEWSLETTER/EMAIL so it really writes),
   ``post-thread`` (``POST /v1/communications/{customerId}/threads``: a new thread with its first
   INCOMING communication, so consent never refuses it) and ``put-thread``
   (``PUT /v1/communications/{customerId}/threads/{threadId}`` on that customer's thread, status
   alternating ONGOING/CLOSED so the status really changes):
   req/s, p50, p99 and server CPU per request (utime+stime of the server's process group from
   /proc; for PostgreSQL also the CPU of its backends serving the bench database);
3. at half the measured peak of each endpoint, an open-loop run at a fixed rate (wrk2 where Debian
   has it, else bench/openloop.py) for p50/p99 without coordinated omission;
4. the transport ceiling: bench/bare_asgi.py under the same uvicorn settings and pinning, plus the
   open-loop generator against it at the GET half-peak rate (the generator's own latency floor; at
   the first chosen endpoint's rate when ``get`` is not measured).

Medians over ``--runs`` are printed as markdown and appended to docs/benchmarks.md. Any non-2xx
response or socket error fails the run (exit 1); so does a server that does not become ready.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import json
import math
import os
import platform
import re
import secrets
import shlex
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx

T = TypeVar("T")
BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DOCS = REPO / "docs" / "benchmarks.md"
PYTHON = sys.executable
LUA = BENCH_DIR / "wrk_prefs.lua"
LUA_THREADS = BENCH_DIR / "wrk_threads.lua"
OPENLOOP = BENCH_DIR / "openloop.py"

ADMIN_TOKEN = "bench-" + secrets.token_hex(16)
SCOPES = [
    "COMMUNICATION_PREFERENCES_READ",
    "COMMUNICATION_PREFERENCES_WRITE",
    "COMMUNICATION_READ",
    "COMMUNICATION_WRITE",
    "WEBHOOKS_MANAGE",
]
PREFS_PATH = "/v1/communications/{}/communication-preferences"
PUT_BODY = '[{{"messageCategory":"NEWSLETTER","channels":[{{"communicationChannel":"EMAIL","active":{}}}]}}]'
THREADS_PATH = "/v1/communications/{}/threads"
THREAD_PATH = "/v1/communications/{}/threads/{}"
# INCOMING: no consent check, so the service never refuses these with 409.
THREAD_BODY = {
    "subject": "Bench",
    "content": "Hello from the bench",
    "communicationDirection": "INCOMING",
    "communicationChannel": "EMAIL",
}
CEILINGS = ["transport", "framework"]
# --endpoints name -> internal key (the keys of the results, the JSON and the tables).
ENDPOINT_NAMES = {"get": "GET", "put": "PUT", "post-thread": "POST-thread", "put-thread": "PUT-thread"}
THREAD_ENDPOINTS = ("POST-thread", "PUT-thread")
LABELS = {
    "transport": "transport ceiling (bare ASGI)",
    "framework": "framework ceiling (/bench/ceiling)",
    "GET": "GET communication-preferences",
    "PUT": "PUT communication-preferences",
    "POST-thread": "POST threads (new thread)",
    "PUT-thread": "PUT threads/{threadId} (append)",
}
# endpoint -> (share of the framework ceiling, databases it applies to; None: every database)
TARGET_VS_FRAMEWORK: dict[str, tuple[float, frozenset[str] | None]] = {
    "GET": (0.50, None),
    "PUT": (0.30, None),
    "POST-thread": (0.25, frozenset({"sqlite"})),
    "PUT-thread": (0.25, frozenset({"sqlite"})),
}
# The open-loop p99 target holds for these (the thread rows are shown without one).
P99_TARGET_ENDPOINTS = ("GET", "PUT")
P99_TARGET_MS = 20.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(RuntimeError):
    """A benchmark that cannot be trusted: the harness exits non-zero."""


class Deadline(BaseException):
    """The whole run took longer than --max-seconds."""


class Terminated(BaseException):
    """SIGTERM/SIGHUP: unwind through every cleanup, then exit 128 + signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- processes and CPU


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (index 0 = state, 1 = ppid, 2 = pgrp, ...)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return raw[raw.rindex(")") + 2 :].split()


def cpu_ticks_of(pid: int) -> int:
    """utime+stime of one process (all its threads); 0 when it is gone."""
    fields = proc_stat(pid)
    return int(fields[11]) + int(fields[12]) if fields else 0


def group_cpu_ticks(pgid: int) -> int:
    """utime+stime of every live process in the group, plus what its leader reaped (cutime+cstime)."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        fields = proc_stat(int(entry.name))
        if not fields or int(fields[2]) != pgid:
            continue
        total += int(fields[11]) + int(fields[12])
        if int(entry.name) == pgid:
            total += int(fields[13]) + int(fields[14])
    return total


def core_busy_ticks(core: str) -> int:
    """Busy jiffies (everything but idle and iowait) of one CPU from /proc/stat."""
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(f"cpu{core} "):
            values = [int(v) for v in line.split()[1:]]
            return sum(values) - values[3] - values[4]
    return 0


class Server:
    """One pinned server process in its own process group; always stopped by ``stop()``."""

    def __init__(self, name: str, argv: list[str], *, env: dict[str, str], cwd: Path, core: str) -> None:
        self.name = name
        self.argv = ["taskset", "-c", core, *argv]
        self.env = env
        self.cwd = cwd
        self.log_path = cwd / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        log(f"start {self.name}: {shlex.join(self.argv)}")
        with self.log_path.open("wb") as out:
            self.proc = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def wait_ready(self, base_url: str, timeout: float = 90.0) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        last = "no answer"
        with httpx.Client(base_url=base_url, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    code = self.proc.returncode
                    raise BenchError(
                        f"{self.name} exited with {code} before it was ready:\n{self.log_tail()}"
                    )
                try:
                    response = client.get("/readyz")
                    if response.status_code == 200:
                        return
                    last = f"HTTP {response.status_code}"
                except httpx.HTTPError as error:
                    last = type(error).__name__
                time.sleep(0.2)
        raise BenchError(f"{self.name} not ready after {timeout:.0f}s ({last}):\n{self.log_tail()}")

    def cpu_ticks(self) -> int:
        return group_cpu_ticks(self.pid)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self._reap()
            return
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, sig)
            try:
                self.proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        self._reap()

    def _reap(self) -> None:
        # Anything the server left in its group (it should leave nothing) goes too.
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)


# --------------------------------------------------------------------------- databases


class Postgres:
    """Admin connection to create/drop the bench database and to read its backends' CPU."""

    def __init__(self, admin_url: str) -> None:
        try:
            import psycopg
        except ImportError as error:  # psycopg is a dependency of the service itself
            raise BenchError("PostgreSQL benchmark needs psycopg (pip install -e .)") from error
        self.admin_url = admin_url
        try:
            self.conn = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
        except psycopg.Error as error:
            raise BenchError(f"cannot connect to PostgreSQL at {admin_url}: {error}") from error

    def version(self) -> str:
        row = self.conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"

    def url_for(self, name: str) -> str:
        base, _, _ = self.admin_url.rpartition("/")
        return f"{base}/{name}"

    @contextlib.contextmanager
    def database(self) -> Iterator[tuple[str, str]]:
        name = "sc_bench_" + secrets.token_hex(6)
        self.conn.execute(f'CREATE DATABASE "{name}"')
        log(f"created PostgreSQL database {name}")
        try:
            yield name, self.url_for(name)
        finally:
            self.conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            log(f"dropped PostgreSQL database {name}")

    def backend_ticks(self, dbname: str) -> dict[int, int]:
        rows = self.conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (dbname,)).fetchall()
        return {int(pid): cpu_ticks_of(int(pid)) for (pid,) in rows}

    def sessions(self, dbname: str) -> int:
        """Connections ever opened to the database (pg_stat_database.sessions, PostgreSQL 14+)."""
        row = self.conn.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = %s", (dbname,)
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def close(self) -> None:
        self.conn.close()


# --------------------------------------------------------------------------- load generators

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value)
    if not match:
        raise BenchError(f"cannot parse wrk duration {value!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: dict[str, int]
    raw: str


def parse_wrk(output: str) -> WrkResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h)", output)
    # wrk prints "50%  1.23ms", wrk2 "50.000%  1.23ms" (its HdrHistogram lines come first).
    p50 = re.search(r"^\s+50(?:\.0+)?%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99(?:\.0+)?%\s+(\S+)", output, re.M)
    if not (rps and total and p50 and p99):
        raise BenchError(f"unexpected wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = {}
    if sock:
        errors = dict(zip(("connect", "read", "write", "timeout"), map(int, sock.groups()), strict=True))
    return WrkResult(
        requests=int(total.group(1)),
        seconds=_ms(total.group(2) + total.group(3)) / 1000,
        rps=float(rps.group(1)),
        p50_ms=_ms(p50.group(1)),
        p99_ms=_ms(p99.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=errors,
        raw=output,
    )


@dataclass
class Measurement:
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms_per_req: float
    db_cpu_ms_per_req: float | None
    requests: int
    # CPU of both cores spent by anything but the server, its DB backends and wrk (% of one core).
    noise_pct: float = 0.0
    # PostgreSQL connections opened during the measured window (pool churn), None for SQLite.
    pg_new_conns: int | None = None
    # Effective writes per request (about 1.0 = every request wrote): consent_ledger rows for PUT
    # preferences, threads for POST threads, status-change events for PUT threads.
    writes_per_req: float | None = None


@dataclass
class Target:
    """Where one measurement sends its load."""

    base_url: str
    path: str = "/"
    # None: plain GET of path; "GET"/"PUT": preferences (wrk_prefs.lua); "POST-thread"/"PUT-thread":
    # the thread writes (wrk_threads.lua; PUT-thread appends to the threads listed in threads_file).
    method: str | None = None
    api_key: str = ""
    customers: int = 100
    threads_file: str = ""

    def wrk_args(self) -> list[str]:
        """wrk/wrk2 arguments after the options: the script and its arguments, or the URL."""
        if self.method is None:
            return [self.base_url + self.path]
        if self.method in ("GET", "PUT"):
            return ["-s", str(LUA), self.base_url, "--", self.method, self.api_key, str(self.customers)]
        mode = {"POST-thread": "create", "PUT-thread": "append"}[self.method]
        script = ["-s", str(LUA_THREADS), self.base_url, "--", mode, self.api_key, str(self.customers)]
        return script + ([self.threads_file] if self.method == "PUT-thread" else [])


def process_ticks() -> dict[int, tuple[int, int, int]]:
    """pid -> (ppid, pgrp, utime+stime) of every live process."""
    table = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = proc_stat(int(entry.name))
            if fields:
                table[int(entry.name)] = (int(fields[1]), int(fields[2]), int(fields[11]) + int(fields[12]))
    return table


class CpuWindow:
    """CPU accounting around one load window: the server's process group, the PostgreSQL backends of
    the bench database, and "foreign" CPU: what every other live process used during the window (the
    load generator and this harness excluded), in % of one core. Processes that ended inside the
    window are not seen: PostgreSQL backends closed by pool churn are missing from the DB CPU."""

    def __init__(self, bench: Bench, server: Server, dbname: str | None) -> None:
        self.pg = bench.pg if dbname else None
        self.dbname = dbname
        self.server = server
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
        db_after: dict[int, int] = {}
        if self.pg and self.dbname:
            db_after = self.pg.backend_ticks(self.dbname)
            self.db_s = sum(now - self._db_before.get(pid, 0) for pid, now in db_after.items()) / CLK_TCK
            self.new_conns = self.pg.sessions(self.dbname) - self._sessions_before
            ours |= set(db_after) | set(self._db_before)
        foreign = 0
        for pid, (ppid, pgrp, ticks) in procs.items():
            if pid in ours or ppid == os.getpid() or pgrp == self.server.pid:
                continue
            foreign += ticks - self._procs.get(pid, (0, 0, 0))[2]
        self.foreign_pct = max(0.0, foreign / CLK_TCK / wall * 100)


class Bench:
    def __init__(self, args: argparse.Namespace, pg: Postgres | None, wrk2: str | None) -> None:
        self.args = args
        self.pg = pg
        self.wrk2 = wrk2

    def wrk(self, target: Target, seconds: float) -> WrkResult:
        args = self.args
        cmd = [
            "taskset",
            "-c",
            args.client_cpu,
            "wrk",
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{seconds:g}s",
            "--latency",
            "--timeout",
            f"{args.request_timeout:g}s",
        ]
        cmd += target.wrk_args()
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30, check=False)
        except subprocess.TimeoutExpired as error:
            raise BenchError(f"wrk did not finish: {shlex.join(cmd)}") from error
        if done.returncode != 0:
            raise BenchError(f"wrk failed ({done.returncode}): {done.stderr}{done.stdout}")
        result = parse_wrk(done.stdout)
        what = target.method or target.path
        if result.non_2xx:
            raise BenchError(f"wrk counted {result.non_2xx} non-2xx responses for {what}:\n{done.stdout}")
        if any(result.socket_errors.values()):
            raise BenchError(f"wrk socket errors for {what}: {result.socket_errors}\n{done.stdout}")
        if result.requests == 0:
            raise BenchError(f"wrk made no request for {what}")
        return result

    def wait_for_quiet(self) -> None:
        """On a shared machine, wait (up to --quiet-wait s) until both cores are mostly idle."""
        args = self.args
        cores = (args.server_cpu, args.client_cpu)
        deadline = time.monotonic() + args.quiet_wait
        while True:
            before = [core_busy_ticks(c) for c in cores]
            time.sleep(1.0)
            busy = [(core_busy_ticks(c) - b) / CLK_TCK * 100 for c, b in zip(cores, before, strict=True)]
            if sum(busy) <= args.max_noise:
                return
            shown = ", ".join(f"CPU {c} {b:.0f} %" for c, b in zip(cores, busy, strict=True))
            if time.monotonic() > deadline:
                log(f"  machine still busy ({shown}) after {args.quiet_wait:g}s: measuring anyway")
                return
            log(f"  machine busy ({shown}), waiting for quiet")
            time.sleep(4.0)

    def measure(
        self,
        name: str,
        server: Server,
        target: Target,
        dbname: str | None,
        *,
        prepare: Callable[[], None] | None = None,
        writes: Callable[[], int] | None = None,
    ) -> Measurement:
        """Closed-loop wrk after a warm-up; re-measured (quietest of --noise-retries + 1) when other
        processes took more than --max-noise % of a core during the window."""
        args = self.args

        def attempt() -> Measurement:
            if prepare:
                prepare()
            self.wrk(target, args.warmup)
            if prepare:
                prepare()
            writes_before = writes() if writes else 0
            with CpuWindow(self, server, dbname) as window:
                try:
                    result = self.wrk(target, args.duration)
                except BenchError as error:
                    raise BenchError(f"{error}\n--- {server.name} log ---\n{server.log_tail()}") from error
            n = result.requests
            m = Measurement(
                rps=result.rps,
                p50_ms=result.p50_ms,
                p99_ms=result.p99_ms,
                cpu_ms_per_req=window.server_s * 1000 / n,
                db_cpu_ms_per_req=window.db_s * 1000 / n if window.new_conns is not None else None,
                requests=n,
                noise_pct=window.foreign_pct,
                pg_new_conns=window.new_conns,
                writes_per_req=(writes() - writes_before) / n if writes else None,
            )
            log(
                f"  {name:<11} {m.rps:9.1f} req/s  p50 {m.p50_ms:7.2f} ms  p99 {m.p99_ms:7.2f} ms  "
                f"cpu {m.cpu_ms_per_req:.3f} ms/req  foreign cpu {m.noise_pct:3.0f} %"
                + (
                    f"  db cpu {m.db_cpu_ms_per_req:.3f} ms/req  new pg conns {m.pg_new_conns}"
                    if m.db_cpu_ms_per_req is not None
                    else ""
                )
                + (f"  writes/req {m.writes_per_req:.2f}" if m.writes_per_req is not None else "")
            )
            return m

        return self._quietest(name, attempt, lambda m: m.noise_pct)

    def open_loop(
        self,
        name: str,
        server: Server,
        target: Target,
        rate: float,
        dbname: str | None,
        *,
        prepare: Callable[[], None] | None = None,
    ) -> dict[str, Any]:
        """Fixed-rate load; the same noise rule as :meth:`measure`."""
        args = self.args

        def attempt() -> dict[str, Any]:
            if prepare:
                prepare()
            with CpuWindow(self, server, dbname) as window:
                result = self._wrk2(target, rate) if self.wrk2 else self._python_open_loop(target, rate)
            if result["non_2xx"] or result["errors"] or result["unfinished"]:
                raise BenchError(
                    f"open-loop {name}: non-2xx/errors/unfinished requests: {result}\n"
                    f"--- {server.name} log ---\n{server.log_tail()}"
                )
            result["foreign_cpu_pct"] = window.foreign_pct
            # The window includes the generator's 1 s warm-up (wrk2: its calibration).
            sent = rate * (args.duration + (10 if self.wrk2 else 1))
            result["cpu_ms_per_req"] = window.server_s * 1000 / max(1.0, sent)
            log(
                f"  {name:<11} @ {rate:7.1f}/s (achieved {result['achieved_rate']:7.1f}/s)  "
                f"p50 {result['p50_ms']:7.2f} ms  p99 {result['p99_ms']:7.2f} ms  "
                f"cpu {result['cpu_ms_per_req']:.3f} ms/req  "
                f"generator lag max {result['max_generator_lag_ms']:.1f} ms  "
                f"foreign cpu {window.foreign_pct:3.0f} %"
            )
            return result

        return self._quietest(name, attempt, lambda r: float(r["foreign_cpu_pct"]))

    def _quietest(self, name: str, attempt: Callable[[], T], noise: Callable[[T], float]) -> T:
        args = self.args
        best: T | None = None
        for number in range(args.noise_retries + 1):
            self.wait_for_quiet()
            result = attempt()
            if best is None or noise(result) < noise(best):
                best = result
            if noise(result) <= args.max_noise:
                break
            if number < args.noise_retries:
                log(f"  {name}: {noise(result):.0f} % foreign CPU during the window, measuring again")
        assert best is not None
        return best

    def _wrk2(self, target: Target, rate: float) -> dict[str, Any]:
        """wrk2 -R: constant throughput, latency corrected for coordinated omission.

        wrk2 spends its first 10 s calibrating and leaves them out of the histogram, hence +10 s.
        """
        args = self.args
        assert self.wrk2 is not None
        seconds = args.duration + 10
        cmd = [
            "taskset", "-c", args.client_cpu, self.wrk2, f"-t{args.threads}", f"-c{args.connections}",
            f"-d{seconds:g}s", f"-R{max(1, round(rate))}", "--latency",
            "--timeout", f"{args.request_timeout:g}s",
        ]  # fmt: skip
        cmd += target.wrk_args()
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30, check=False)
        except subprocess.TimeoutExpired as error:
            raise BenchError("wrk2 did not finish") from error
        if done.returncode != 0:
            raise BenchError(f"wrk2 failed ({done.returncode}): {done.stderr}{done.stdout}")
        parsed = parse_wrk(done.stdout)
        return {
            "requested_rate": rate,
            "achieved_rate": parsed.rps,
            "requests": parsed.requests,
            "p50_ms": parsed.p50_ms,
            "p99_ms": parsed.p99_ms,
            "max_generator_lag_ms": math.nan,
            "non_2xx": parsed.non_2xx,
            "errors": {k: v for k, v in parsed.socket_errors.items() if v},
            "unfinished": 0,
        }

    def _python_open_loop(self, target: Target, rate: float) -> dict[str, Any]:
        args = self.args
        # The generator's modes are the --endpoints names: get, put, post-thread, put-thread.
        mode = "raw" if target.method is None else target.method.lower()
        cmd = [
            "taskset",
            "-c",
            args.client_cpu,
            PYTHON,
            str(OPENLOOP),
            "--url",
            target.base_url,
            "--mode",
            mode,
            "--path",
            target.path,
            "--api-key",
            target.api_key,
            "--customers",
            str(target.customers),
            "--threads-file",
            target.threads_file,
            "--rate",
            f"{rate:.1f}",
            "--duration",
            f"{args.duration:g}",
            "--warmup",
            "1",
            "--timeout",
            f"{args.request_timeout:g}",
            "--connections",
            str(args.open_loop_connections),
        ]
        shown = [("KEY" if i > 0 and cmd[i - 1] == "--api-key" else part) for i, part in enumerate(cmd)]
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=args.duration + 60, check=False
            )
        except subprocess.TimeoutExpired as error:
            raise BenchError(f"open-loop generator did not finish: {shlex.join(shown)}") from error
        if done.returncode != 0:
            raise BenchError(f"open-loop generator failed ({done.returncode}):\n{done.stderr}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result


# --------------------------------------------------------------------------- the service


def service_env(db_url: str, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_COMMS_")}
    env.update(
        STUDIO_COMMS_DATABASE_URL=db_url,
        STUDIO_COMMS_ADMIN_TOKEN=ADMIN_TOKEN,
        STUDIO_COMMS_ENABLE_BENCH_ROUTES="true",
        STUDIO_COMMS_RATE_LIMIT="100000000/minute",
        STUDIO_COMMS_VAR_DIR=str(workdir / "var"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def uvicorn_argv(app: list[str], port: int) -> list[str]:
    return [
        PYTHON,
        "-m",
        "uvicorn",
        *app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]


_SERVE: list[str | None] = []


def studio_comms_serve() -> str | None:
    """The ``studio-comms serve`` console script, if this checkout has it (looked up once)."""
    if not _SERVE:
        _SERVE.append(_find_serve())
    return _SERVE[0]


def _find_serve() -> str | None:
    script = shutil.which("studio-comms", path=str(Path(PYTHON).parent)) or shutil.which("studio-comms")
    if not script:
        return None
    try:
        done = subprocess.run(
            [script, "serve", "--help"], capture_output=True, text=True, timeout=60, check=False
        )
    except subprocess.TimeoutExpired:
        return None
    return script if done.returncode == 0 and "--port" in done.stdout else None


def service_argv(launcher: str, port: int, db_url: str, env: dict[str, str]) -> list[str]:
    script = studio_comms_serve() if launcher in ("auto", "serve") else None
    if script:
        return [script, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker"]
    if launcher == "serve":
        raise BenchError("--launcher serve: `studio-comms serve` is not available")
    # Fallback for checkouts without `serve`: migrate here, then plain uvicorn on the app factory.
    migrate = [
        PYTHON,
        "-c",
        "import sys; from studio_comms.db.migrate import upgrade; upgrade(sys.argv[1])",
        db_url,
    ]
    done = subprocess.run(migrate, env=env, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise BenchError(f"migrations failed:\n{done.stderr}")
    return uvicorn_argv(["--factory", "studio_comms.main:create_app"], port)


def reset_preferences(base_url: str, api_key: str, customers: int) -> None:
    """NEWSLETTER/EMAIL off for every customer, so the first PUT of a fresh wrk (which turns it on)
    and every flip after it is a real change."""
    headers = {"X-API-KEY": api_key, "Content-Type": "application/json"}
    body = PUT_BODY.format("false")
    with httpx.Client(base_url=base_url, headers=headers, timeout=30.0) as client:
        for customer in range(1, customers + 1):
            response = client.put(PREFS_PATH.format(customer), content=body)
            if response.status_code != 200:
                raise BenchError(f"reset PUT customer {customer}: HTTP {response.status_code}")


def thread_body(status: str) -> dict[str, str]:
    return {"communicationThreadStatus": status, **THREAD_BODY}


def create_threads(base_url: str, api_key: str, customers: int) -> dict[int, int]:
    """One thread per customer through the API (outside any measured window); customer -> thread id.
    Each answer must be 200 with the thread of that customer; one append must change the status."""
    headers = {"X-API-KEY": api_key}
    threads: dict[int, int] = {}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30.0) as client:
        for customer in range(1, customers + 1):
            response = client.post(THREADS_PATH.format(customer), json=thread_body("CREATED"))
            if response.status_code != 200:
                raise BenchError(
                    f"POST thread customer {customer}: HTTP {response.status_code} {response.text[:500]}"
                )
            data = response.json()
            if data.get("customerId") != customer or data.get("communicationThreadStatus") != "CREATED":
                raise BenchError(f"POST thread customer {customer}: unexpected answer {data}")
            threads[customer] = int(data["threadId"])
        path = THREAD_PATH.format(1, threads[1])
        put = client.put(path, json=thread_body("ONGOING"))
        if put.status_code != 200:
            raise BenchError(f"PUT thread: HTTP {put.status_code} {put.text[:500]}")
        got = client.get(path)
        if got.status_code != 200:
            raise BenchError(f"GET thread: HTTP {got.status_code} {got.text[:500]}")
        thread = got.json()
        if thread.get("communicationThreadStatus") != "ONGOING" or len(thread.get("communications", [])) != 2:
            raise BenchError(f"PUT thread ONGOING did not append and change the status: {thread}")
    return threads


def write_threads_file(path: Path, threads: dict[int, int]) -> str:
    """Lines "customer thread", read by bench/wrk_threads.lua and bench/openloop.py."""
    path.write_text("".join(f"{customer} {thread}\n" for customer, thread in sorted(threads.items())))
    return str(path)


def reset_threads(base_url: str, api_key: str, threads: dict[int, int]) -> None:
    """Every thread CLOSED, so the first append of a fresh wrk (ONGOING) and every flip after it
    changes the thread's status."""
    with httpx.Client(base_url=base_url, headers={"X-API-KEY": api_key}, timeout=30.0) as client:
        for customer, thread in threads.items():
            response = client.put(THREAD_PATH.format(customer, thread), json=thread_body("CLOSED"))
            if response.status_code != 200:
                raise BenchError(f"reset PUT thread {customer}/{thread}: HTTP {response.status_code}")


def ledger_counter(db_url: str) -> Callable[[], int]:
    """Counts consent_ledger rows: each effective preference change writes one, so the delta over a
    PUT measurement shows whether the PUTs really wrote."""
    return row_counter(db_url, "SELECT count(*) FROM consent_ledger")


def row_counter(db_url: str, query: str) -> Callable[[], int]:
    """A ``SELECT count(*)`` on the bench database, read between measurements."""
    if db_url.startswith("sqlite:///"):
        path = db_url.removeprefix("sqlite:///")

        def count_sqlite() -> int:
            with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
                return int(conn.execute(query).fetchone()[0])

        return count_sqlite

    def count_postgres() -> int:
        import psycopg

        with psycopg.connect(db_url, connect_timeout=5) as conn:
            row = conn.execute(query).fetchone()
            return int(row[0]) if row else 0

    return count_postgres


def bare_body() -> bytes:
    from bare_asgi import BODY  # bench/ is sys.path[0] when run as a script; main() makes sure

    return BODY


def seed(base_url: str, customers: int) -> str:
    """1 studio, 1 key with every scope, ``customers`` customers; returns the API key."""
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with httpx.Client(base_url=base_url, headers=auth, timeout=30.0) as client:

        def call(method: str, path: str, body: Any, expect: int) -> dict[str, Any]:
            response = client.request(method, path, json=body)
            if response.status_code != expect:
                raise BenchError(f"seed {method} {path}: HTTP {response.status_code} {response.text[:500]}")
            return dict(response.json())

        studio = call("POST", "/admin/v1/studios", {"name": "Bench"}, 201)["studioId"]
        key = call("POST", f"/admin/v1/studios/{studio}/api-keys", {"name": "bench", "scopes": SCOPES}, 201)
        for customer in range(1, customers + 1):
            call(
                "PUT",
                f"/admin/v1/studios/{studio}/customers/{customer}",
                {"firstName": "A", "lastName": "B"},
                201,
            )
    return str(key["apiKey"])


def check_endpoints(base_url: str, api_key: str) -> bytes:
    """One GET and two PUTs must answer 200 and the PUT must really change the state."""
    headers = {"X-API-KEY": api_key}
    with httpx.Client(base_url=base_url, headers=headers, timeout=10.0) as client:
        ceiling = client.get("/bench/ceiling")
        if ceiling.status_code != 200:
            raise BenchError(f"/bench/ceiling: HTTP {ceiling.status_code} (bench routes not enabled?)")
        for active in ("true", "false"):
            put = client.put(
                PREFS_PATH.format(1),
                content=PUT_BODY.format(active),
                headers={"Content-Type": "application/json"},
            )
            if put.status_code != 200:
                raise BenchError(f"PUT preferences: HTTP {put.status_code} {put.text[:500]}")
            got = client.get(PREFS_PATH.format(1))
            if got.status_code != 200:
                raise BenchError(f"GET preferences: HTTP {got.status_code} {got.text[:500]}")
            newsletter = next(p for p in got.json() if p["messageCategory"] == "NEWSLETTER")
            email = next(c for c in newsletter["channels"] if c["communicationChannel"] == "EMAIL")
            if email["active"] != (active == "true"):
                raise BenchError(f"PUT active={active} did not change NEWSLETTER/EMAIL: {newsletter}")
    return ceiling.content


# --------------------------------------------------------------------------- one run


@dataclass
class RunResult:
    throughput: dict[str, Measurement] = field(default_factory=dict)
    latency: dict[str, dict[str, Any]] = field(default_factory=dict)


def floor_endpoint(args: argparse.Namespace) -> str:
    """The endpoint whose half-peak rate the generator floor is measured at: GET when measured."""
    return "GET" if "GET" in args.endpoints else str(args.endpoints[0])


def run_database(bench: Bench, db: str, run_no: int, tmp: Path) -> RunResult:
    args = bench.args
    out = RunResult()
    workdir = tmp / f"run{run_no}-{db}"
    workdir.mkdir()
    with contextlib.ExitStack() as stack:
        if db == "sqlite":
            dbname, db_url = None, f"sqlite:///{workdir / 'bench.db'}"
        else:
            assert bench.pg is not None
            dbname, db_url = stack.enter_context(bench.pg.database())
        env = service_env(db_url, workdir)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = Server(
            f"service-{db}",
            service_argv(args.launcher, port, db_url, env),
            env=env,
            cwd=workdir,
            core=args.server_cpu,
        )
        stack.callback(server.stop)
        server.start()
        server.wait_ready(base)
        api_key = seed(base, args.customers)
        ceiling_body = check_endpoints(base, api_key)
        if ceiling_body != bare_body():
            raise BenchError(f"/bench/ceiling body differs from bench/bare_asgi.py BODY: {ceiling_body!r}")
        threads_file = ""
        thread_reset: Callable[[], None] | None = None
        if any(ep in args.endpoints for ep in THREAD_ENDPOINTS):
            threads = create_threads(base, api_key, args.customers)
            threads_file = write_threads_file(workdir / "threads.txt", threads)
            thread_reset = partial(reset_threads, base, api_key, threads)
            log(f"run {run_no} {db}: created {len(threads)} threads (1 per customer) for PUT threads")
        log(f"run {run_no} {db}: seeded {args.customers} customers, measuring")
        out.throughput["framework"] = bench.measure(
            "framework", server, Target(base, "/bench/ceiling"), dbname
        )
        # endpoint -> (target, prepare before each wrk / open-loop run, effective-write counter)
        plans: dict[str, tuple[Target, Callable[[], None] | None, Callable[[], int] | None]] = {
            "GET": (Target(base, method="GET", api_key=api_key, customers=args.customers), None, None),
            "PUT": (
                Target(base, method="PUT", api_key=api_key, customers=args.customers),
                partial(reset_preferences, base, api_key, args.customers),
                ledger_counter(db_url),
            ),
            "POST-thread": (
                Target(base, method="POST-thread", api_key=api_key, customers=args.customers),
                None,
                row_counter(db_url, "SELECT count(*) FROM communication_threads"),
            ),
            "PUT-thread": (
                Target(
                    base,
                    method="PUT-thread",
                    api_key=api_key,
                    customers=args.customers,
                    threads_file=threads_file,
                ),
                thread_reset,
                row_counter(
                    db_url,
                    "SELECT count(*) FROM outbox WHERE event_type = 'COMMUNICATION_THREAD_STATUS_CHANGED'",
                ),
            ),
        }
        for ep in args.endpoints:
            target, prepare, writes = plans[ep]
            out.throughput[ep] = bench.measure(ep, server, target, dbname, prepare=prepare, writes=writes)
        for ep in args.endpoints:
            target, prepare, _ = plans[ep]
            out.latency[ep] = bench.open_loop(
                ep, server, target, out.throughput[ep].rps / 2, dbname, prepare=prepare
            )
        server.stop()

    # Transport ceiling: the bare ASGI app, same uvicorn settings, same pinning, its own process.
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_COMMS_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    bare = Server(
        f"bare-asgi-{db}",
        uvicorn_argv(["--app-dir", str(BENCH_DIR), "bare_asgi:app"], port),
        env=env,
        cwd=workdir,
        core=args.server_cpu,
    )
    try:
        bare.start()
        bare.wait_ready(base)
        out.throughput["transport"] = bench.measure("transport", bare, Target(base, "/"), None)
        out.latency["floor"] = bench.open_loop(
            "floor", bare, Target(base, "/"), out.throughput[floor_endpoint(args)].rps / 2, None
        )
    finally:
        bare.stop()
    return out


# --------------------------------------------------------------------------- report


def median(values: list[float | None] | list[float] | list[int | None]) -> float:
    clean = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(clean) if clean else math.nan


def fmt(value: float | None, digits: int = 1, suffix: str = "") -> str:
    if value is None or math.isnan(value):
        return "—"
    return f"{value:,.{digits}f}{suffix}"


def pct(value: float) -> str:
    return "—" if math.isnan(value) else f"{value * 100:.0f} %"


def summarize(results: dict[str, list[RunResult]], endpoints: list[str]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for db, runs in results.items():
        rows = {}
        for ep in [*CEILINGS, *endpoints]:
            ms = [r.throughput[ep] for r in runs]
            # Ratios are taken within each run (the two measurements are seconds apart), then the median.
            vs_fw = [r.throughput[ep].rps / r.throughput["framework"].rps for r in runs]
            vs_tr = [r.throughput[ep].rps / r.throughput["transport"].rps for r in runs]
            rows[ep] = {
                "rps": median([m.rps for m in ms]),
                "rps_runs": [m.rps for m in ms],
                "cpu": median([m.cpu_ms_per_req for m in ms]),
                "db_cpu": median([m.db_cpu_ms_per_req for m in ms])
                if ms[0].db_cpu_ms_per_req is not None
                else None,
                "p50": median([m.p50_ms for m in ms]),
                "p99": median([m.p99_ms for m in ms]),
                "vs_framework": median(vs_fw),
                "vs_transport": median(vs_tr),
                "noise": median([m.noise_pct for m in ms]),
                "writes": median([m.writes_per_req for m in ms])
                if ms[0].writes_per_req is not None
                else None,
                "pg_conns": median([m.pg_new_conns for m in ms]) if ms[0].pg_new_conns is not None else None,
            }
        lat = {}
        for ep in [*endpoints, "floor"]:
            rs = [r.latency[ep] for r in runs]
            lat[ep] = {
                "rate": median([x["requested_rate"] for x in rs]),
                "achieved": median([x["achieved_rate"] for x in rs]),
                "p50": median([x["p50_ms"] for x in rs]),
                "p99": median([x["p99_ms"] for x in rs]),
                "p99_runs": [x["p99_ms"] for x in rs],
                "cpu": median([x["cpu_ms_per_req"] for x in rs]),
                # A run whose server fell behind the offered rate: its latency is queueing.
                "overloaded": sum(x["achieved_rate"] < 0.95 * x["requested_rate"] for x in rs),
                "runs": len(rs),
                "lag": max(x["max_generator_lag_ms"] for x in rs),
            }
        summary[db] = {
            "throughput": rows,
            "latency": lat,
            "endpoints": [*CEILINGS, *endpoints],
            "floor": "GET" if "GET" in endpoints else endpoints[0],
        }
    return summary


def verdict(ok: bool) -> str:
    return "✅" if ok else "❌"


def throughput_table(summary: dict[str, Any]) -> str:
    lines = [
        "| database | endpoint | req/s (median) | req/s per run | server CPU ms/req | DB CPU ms/req "
        "| p50 ms | p99 ms | vs framework | vs transport | target | foreign CPU "
        "| PG conns opened |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for db, data in summary.items():
        for ep in data["endpoints"]:
            row = data["throughput"][ep]
            target = target_cell(ep, db, row["vs_framework"])
            runs = " / ".join(f"{v:,.0f}" for v in row["rps_runs"])
            lines.append(
                f"| {db} | {LABELS[ep]} | {fmt(row['rps'], 0)} | {runs} | {fmt(row['cpu'], 3)} "
                f"| {fmt(row['db_cpu'], 3)} | {fmt(row['p50'], 2)} | {fmt(row['p99'], 2)} "
                f"| {pct(row['vs_framework'])} | {pct(row['vs_transport'])} | {target} "
                f"| {fmt(row['noise'], 0, ' %')} | {fmt(row['pg_conns'], 0)} |"
            )
    return "\n".join(lines)


def target_cell(ep: str, db: str, vs_framework: float) -> str:
    if ep not in TARGET_VS_FRAMEWORK:
        return ""
    goal, databases = TARGET_VS_FRAMEWORK[ep]
    text = f"≥ {goal * 100:.0f} % of framework"
    if databases is None:
        return f"{text} {verdict(vs_framework >= goal)}"
    names = ", ".join(DB_NAMES[d] for d in sorted(databases))
    if db in databases:
        return f"{text} ({names}) {verdict(vs_framework >= goal)}"
    return f"{text} ({names}; not applied here)"


DB_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
WRITES = {
    "PUT": "PUT preferences: consent-ledger rows per PUT (1.00 = every PUT changed a preference)",
    "POST-thread": "POST threads: threads created per request (1.00 = every POST created one)",
    "PUT-thread": "PUT threads: status-change events per append (1.00 = every append changed the "
    "thread's status)",
}


def writes_line(summary: dict[str, Any]) -> str:
    parts = []
    for ep, what in WRITES.items():
        values = [
            f"{db} {fmt(data['throughput'][ep]['writes'], 2)}"
            for db, data in summary.items()
            if ep in data["throughput"]
        ]
        if values:
            parts.append(f"{what}: {', '.join(values)}")
    return "Effective writes — " + "; ".join(parts) + "." if parts else ""


def latency_table(summary: dict[str, Any]) -> str:
    lines = [
        "| database | endpoint | rate (½ peak) req/s | achieved req/s | server CPU ms/req | p50 ms | p99 ms "
        "| p99 per run | runs that fell behind | target p99 < 20 ms |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    for db, data in summary.items():
        for ep in data["latency"]:
            row = data["latency"][ep]
            label = (
                LABELS[ep] if ep != "floor" else f"generator floor (bare ASGI at the {data['floor']} rate)"
            )
            target = verdict(row["p99"] < P99_TARGET_MS) if ep in P99_TARGET_ENDPOINTS else ""
            runs = " / ".join(f"{v:.1f}" for v in row["p99_runs"])
            lines.append(
                f"| {db} | {label} | {fmt(row['rate'], 0)} | {fmt(row['achieved'], 0)} "
                f"| {fmt(row['cpu'], 3)} | {fmt(row['p50'], 2)} | {fmt(row['p99'], 2)} | {runs} "
                f"| {row['overloaded']} of {row['runs']} | {target} |"
            )
    return "\n".join(lines)


def floor_warning(summary: dict[str, Any]) -> str:
    """When the generator fell behind against the bare ASGI app, the rows at that rate measure it."""
    lines = []
    for db, data in summary.items():
        floor = data["latency"]["floor"]
        if floor["overloaded"]:
            lines.append(
                f"\n⚠️ {db}: the generator floor itself fell behind ({floor['overloaded']} of {floor['runs']} "
                f"run(s), {fmt(floor['achieved'], 0)} of {fmt(floor['rate'], 0)} req/s against the bare ASGI "
                f"app): the load generator cannot offer that rate, so the {data['floor']} row (and any row "
                "at a similar or higher rate) of this database measures the generator, not the service.\n"
            )
    return "".join(lines)


def targets_met(summary: dict[str, Any]) -> bool:
    ok = True
    for db, data in summary.items():
        for ep, (goal, databases) in TARGET_VS_FRAMEWORK.items():
            if ep in data["throughput"] and (databases is None or db in databases):
                ok &= data["throughput"][ep]["vs_framework"] >= goal
            if ep in data["latency"] and ep in P99_TARGET_ENDPOINTS:
                ok &= data["latency"][ep]["p99"] < P99_TARGET_MS
    return ok


def version_of(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def source_state() -> tuple[str, str]:
    """(short HEAD commit, digest of src/ and pyproject.toml as on disk): the code being measured."""
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    digest = hashlib.sha256()
    for path in sorted([REPO / "pyproject.toml", *(REPO / "src").rglob("*.py")]):
        with contextlib.suppress(OSError):
            digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes() + b"\0")
    return head or "unknown", digest.hexdigest()[:12]


def machine_info(pg: Postgres | None) -> dict[str, str]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    wrk_version = (wrk.stdout + wrk.stderr).splitlines()[0].strip() if (wrk.stdout + wrk.stderr) else "?"
    git = (
        subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        or "unknown"
    )
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--", "src", "pyproject.toml"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    libs = [
        "fastapi",
        "starlette",
        "uvicorn",
        "uvloop",
        "httptools",
        "pydantic",
        "sqlalchemy",
        "psycopg",
        "orjson",
        "httpx",
    ]
    return {
        "nproc": nproc,
        "cpu": model,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "libs": ", ".join(f"{lib} {version_of(lib)}" for lib in libs),
        "wrk": wrk_version,
        "postgres": pg.version() if pg else "not used",
        "commit": git + (" (with uncommitted changes under src/)" if dirty else ""),
    }


def render(
    summary: dict[str, Any],
    info: dict[str, str],
    args: argparse.Namespace,
    command: str,
    server_cmd: str,
    latency_tool: str,
) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    warning = f"\n{info['warning']}\n" if "warning" in info else ""
    return f"""## {now} — commit {info["commit"]}
{warning}
- Command: `{command}`
- Machine: {info["nproc"]} CPUs (`nproc`), {info["cpu"]}, Linux {info["kernel"]}; Python {info["python"]}; \
PostgreSQL {info["postgres"]} (unpinned, shares both cores)
- Libraries: {info["libs"]}; load: {info["wrk"]}
- Server: one process pinned to CPU {args.server_cpu}: `{server_cmd}`; transport ceiling: \
`bench/bare_asgi.py` under `uvicorn --no-access-log --log-level warning`, same pinning.
- Load: `taskset -c {args.client_cpu} wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s \
--latency` after a {args.warmup:g} s warm-up, {args.customers} customers; endpoints: {load_line(args)}; \
medians of {args.runs} run(s). CPU ms/req: utime+stime of the server process (and for PostgreSQL, of \
its backends serving the bench database; backends that exited inside the window are not seen) over the \
measured window, divided by requests.

### Throughput (closed loop, wrk)

{throughput_table(summary)}

"foreign CPU": CPU used during the window by other processes on this shared machine (everything but \
the server, the PostgreSQL backends of the bench database and the load generator), in % of one core; \
a measurement above {args.max_noise:g} % is repeated up to {args.noise_retries} times and the quietest kept. \
"PG conns opened": new PostgreSQL connections during the measured window (`pg_stat_database.sessions`).
{writes_line(summary)}

### Latency at half the measured peak (open loop: {latency_tool})

{latency_table(summary)}

"runs that fell behind": runs whose achieved rate stayed under 95 % of the offered rate (the server could \
not keep up, so the latency is queueing). The generator floor is the latency the generator itself adds.
{floor_warning(summary)}
Targets: GET ≥ 50 % and PUT ≥ 30 % of the framework ceiling; POST and PUT threads ≥ 25 % of the \
framework ceiling on SQLite; p99 < 20 ms at half the measured peak (GET and PUT preferences).
"""


LOAD = {
    "GET": "GET preferences",
    "PUT": "PUT preferences flipping NEWSLETTER/EMAIL",
    "POST-thread": "POST `/v1/communications/{customerId}/threads` (a new thread with one INCOMING "
    "EMAIL communication, status CREATED)",
    "PUT-thread": "PUT `/v1/communications/{customerId}/threads/{threadId}` on the customer's one "
    "thread (created before the measurement; one INCOMING communication appended, status alternating "
    "ONGOING/CLOSED, every thread set CLOSED before each load run)",
}


def load_line(args: argparse.Namespace) -> str:
    return ", ".join(LOAD[ep] for ep in args.endpoints)


DOCS_INTRO = """# Benchmarks

`make bench` (`python bench/run.py`) measures the communication-preferences API (GET, PUT) and the
thread writes (`POST /v1/communications/{customerId}/threads`, `PUT .../threads/{threadId}`; choose with
`--endpoints get,put,post-thread,put-thread`, default all) on one pinned server process against two
ceilings: the **framework ceiling** (`GET /bench/ceiling`, a route of the same app
that returns a constant JSON list without auth or database) and the **transport ceiling**
(`bench/bare_asgi.py`, the same body from a bare ASGI app under the same uvicorn). Each run appends a
section below; numbers from this 2-core shared machine are noisy, so compare ratios taken within one
run rather than absolute req/s across sections. See the docstring of `bench/run.py` for the method.
"""


def append_docs(path: Path, section: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text() if path.exists() else DOCS_INTRO
    if not text.endswith("\n"):
        text += "\n"
    path.write_text(text + "\n" + section)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--databases",
        default="sqlite,postgres",
        help="comma-separated subset of sqlite,postgres (default: both)",
    )
    parser.add_argument("--runs", type=int, default=3, help="repetitions; medians are reported (default 3)")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measurement (default 8)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds before each (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=15.0,
        help="seconds after which a request counts as failed (default 15, above SQLite's 10 s busy timeout)",
    )
    parser.add_argument("--customers", type=int, default=100, help="customers seeded and spread over")
    parser.add_argument(
        "--endpoints",
        default=",".join(ENDPOINT_NAMES),
        help=f"comma-separated subset of {','.join(ENDPOINT_NAMES)} to measure next to the two "
        "ceilings (default: all)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="admin connection; the bench database is created next to it (env BENCH_POSTGRES_URL)",
    )
    parser.add_argument(
        "--launcher",
        choices=["auto", "serve", "uvicorn"],
        default="auto",
        help="auto: `studio-comms serve` if it exists, else migrations + uvicorn --factory",
    )
    parser.add_argument(
        "--open-loop",
        choices=["auto", "wrk2", "python"],
        default="auto",
        help="half-peak latency tool: wrk2 if installed (auto), else bench/openloop.py",
    )
    parser.add_argument(
        "--max-noise",
        type=float,
        default=25.0,
        help="foreign CPU (%% of a core) above which the machine counts as busy (default 25)",
    )
    parser.add_argument("--quiet-wait", type=float, default=60.0, help="seconds to wait for quiet (60)")
    parser.add_argument(
        "--noise-retries", type=int, default=2, help="re-measurements of a noisy window (default 2)"
    )
    parser.add_argument(
        "--open-loop-connections",
        type=int,
        default=256,
        help="most connections the Python open-loop generator opens (default 256)",
    )
    parser.add_argument("--server-cpu", default="0", help="core for the server (default 0)")
    parser.add_argument("--client-cpu", default="1", help="core for wrk / the generator (default 1)")
    parser.add_argument("--output", type=Path, default=DOCS, help="markdown file to append to")
    parser.add_argument("--no-append", action="store_true", help="print only, do not touch --output")
    parser.add_argument("--json", type=Path, help="also write the raw per-run results here")
    parser.add_argument("--enforce-targets", action="store_true", help="exit 2 when a target is missed")
    parser.add_argument(
        "--max-seconds",
        type=int,
        default=0,
        help="hard limit for the whole run (default: estimated from runs and duration)",
    )
    args = parser.parse_args(argv)
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = set(args.databases) - {"sqlite", "postgres"}
    if unknown or not args.databases:
        parser.error(f"--databases: unknown {sorted(unknown)} (use sqlite,postgres)")
    names = [e.strip().lower() for e in args.endpoints.split(",") if e.strip()]
    unknown = set(names) - set(ENDPOINT_NAMES)
    if unknown or not names:
        parser.error(f"--endpoints: unknown {sorted(unknown)} (use a subset of {','.join(ENDPOINT_NAMES)})")
    # Always in the table's order, whatever order they were given in.
    args.endpoints = [key for name, key in ENDPOINT_NAMES.items() if name in names]
    if args.runs < 1 or args.duration <= 0 or args.warmup < 0:
        parser.error("--runs must be >= 1 and --duration > 0")
    if not args.max_seconds:
        # A normal block (one database, one run) takes about per_db seconds; the rest is room for
        # waiting out other load on a shared machine and for re-measuring noisy windows.
        n = len(args.endpoints)
        per_db = (n + 2) * (args.warmup + args.duration + 4) + (n + 1) * (args.duration + 8) + 60
        args.max_seconds = int(args.runs * len(args.databases) * per_db * 3 + 300)
    return args


def preflight(args: argparse.Namespace) -> str:
    for tool in ("wrk", "taskset"):
        if not shutil.which(tool):
            raise BenchError(
                f"`{tool}` not found (apt-get install -y {'wrk' if tool == 'wrk' else 'util-linux'})"
            )
    cores = os.sched_getaffinity(0)
    for cpu in (args.server_cpu, args.client_cpu):
        if int(cpu) not in cores:
            raise BenchError(f"CPU {cpu} is not available here (have {sorted(cores)})")
    return open_loop_tool(args)[1]


def open_loop_tool(args: argparse.Namespace) -> tuple[str | None, str]:
    """wrk2 where installed (Debian does not package it: `apt-cache policy wrk2` finds nothing),
    else bench/openloop.py; the output says which."""
    wrk2 = shutil.which("wrk2") if args.open_loop in ("auto", "wrk2") else None
    if wrk2:
        return wrk2, f"wrk2 -R (constant rate, pinned to CPU {args.client_cpu})"
    if args.open_loop == "wrk2":
        raise BenchError("--open-loop wrk2: wrk2 is not installed")
    return None, (
        "bench/openloop.py: asyncio and its own keep-alive HTTP/1.1 client (httpx in sections before "
        "the thread endpoints were added) at a fixed rate, latency counted from each request's "
        f"scheduled send time, pinned to CPU {args.client_cpu} (wrk2 is not packaged by Debian)"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = shlex.join(
        [
            os.path.relpath(PYTHON, REPO) if PYTHON.startswith(str(REPO)) else PYTHON,
            os.path.relpath(__file__, REPO),
            *(sys.argv[1:] if argv is None else argv),
        ]
    )

    def on_signal(signum: int, _frame: Any) -> None:
        raise Terminated(signum)

    def on_alarm(_signum: int, _frame: Any) -> None:
        raise Deadline(f"benchmark exceeded --max-seconds={args.max_seconds}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(args.max_seconds)
    sys.path.insert(0, str(BENCH_DIR))
    pg: Postgres | None = None
    started = time.monotonic()
    try:
        latency_tool = preflight(args)
        if "postgres" in args.databases:
            pg = Postgres(args.postgres_url)
        bench = Bench(args, pg, open_loop_tool(args)[0])
        script = studio_comms_serve() if args.launcher != "uvicorn" else None
        server_cmd = (
            f"taskset -c {args.server_cpu} studio-comms serve --host 127.0.0.1 --port PORT --no-worker"
            if script
            else f"taskset -c {args.server_cpu} python -m uvicorn --factory "
            "studio_comms.main:create_app --no-access-log --log-level warning"
        )
        log(f"server: {server_cmd}; open loop: {latency_tool}; limit {args.max_seconds}s")
        info = machine_info(pg)
        source_before = source_state()
        results: dict[str, list[RunResult]] = {db: [] for db in args.databases}
        with tempfile.TemporaryDirectory(prefix="sc-bench-") as tmp:
            for run_no in range(1, args.runs + 1):
                for db in args.databases:
                    log(f"=== run {run_no}/{args.runs}: {db}")
                    results[db].append(run_database(bench, db, run_no, Path(tmp)))
        summary = summarize(results, args.endpoints)
        source_after = source_state()
        if source_after != source_before:
            # Another engineer edited the service while it was measured: say so next to the numbers.
            info["warning"] = (
                f"⚠️ The code changed during this run (HEAD {source_before[0]} → {source_after[0]}, "
                f"src/ digest {source_before[1]} → {source_after[1]}): the runs measured different "
                "versions, read the per-run columns with that in mind."
            )
            log(info["warning"])
        section = render(summary, info, args, command, server_cmd, latency_tool)
        print(section)
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        db: [
                            {
                                "throughput": {k: vars(v) for k, v in r.throughput.items()},
                                "latency": r.latency,
                            }
                            for r in runs
                        ]
                        for db, runs in results.items()
                    },
                    indent=2,
                )
            )
        if not args.no_append:
            append_docs(args.output, section)
            log(f"appended to {args.output}")
        log(f"done in {time.monotonic() - started:.0f}s")
        if args.enforce_targets and not targets_met(summary):
            log("targets missed")
            return 2
        return 0
    except (BenchError, Deadline) as error:
        log(f"FAILED: {error}")
        return 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    except Terminated as stop:
        log(str(stop))
        return 128 + stop.signum
    finally:
        signal.alarm(0)
        if pg is not None:
            pg.close()


if __name__ == "__main__":
    sys.exit(main())
