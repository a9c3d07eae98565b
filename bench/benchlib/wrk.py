"""Closed-loop load with wrk, pinned to the client core, and what it printed."""

from __future__ import annotations

import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from benchlib.procs import BenchError

BENCH_DIR = Path(__file__).resolve().parent.parent
LUA_PREFS = BENCH_DIR / "wrk_prefs.lua"
LUA_THREADS = BENCH_DIR / "wrk_threads.lua"
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


@dataclass(frozen=True)
class Load:
    """What one wrk run sends: a plain GET of ``path``, or one of the API scripts."""

    path: str = "/"
    # None: plain GET; "GET"/"PUT": preferences (wrk_prefs.lua); "POST-thread"/"PUT-thread": the
    # thread writes (wrk_threads.lua; PUT-thread appends to the threads listed in threads_file).
    method: str | None = None
    api_key: str = ""
    customers: int = 100
    threads_file: str = ""

    def args(self, base_url: str) -> list[str]:
        """wrk arguments after the options: the script and its arguments, or the URL."""
        if self.method is None:
            return [base_url + self.path]
        if self.method in ("GET", "PUT"):
            return ["-s", str(LUA_PREFS), base_url, "--", self.method, self.api_key, str(self.customers)]
        mode = {"POST-thread": "create", "PUT-thread": "append"}[self.method]
        script = ["-s", str(LUA_THREADS), base_url, "--", mode, self.api_key, str(self.customers)]
        return script + ([self.threads_file] if self.method == "PUT-thread" else [])


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: dict[str, int]


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value)
    if not match:
        raise BenchError(f"cannot parse wrk duration {value!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h)", output)
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
    )


@dataclass(frozen=True)
class WrkSettings:
    client_cpu: str
    connections: int = 16
    threads: int = 1
    request_timeout: float = 15.0


def run_wrk(settings: WrkSettings, base_url: str, load: Load, seconds: float) -> WrkResult:
    """One closed-loop run; any non-2xx answer or socket error fails the bench."""
    cmd = [
        "taskset", "-c", settings.client_cpu, "wrk", f"-t{settings.threads}", f"-c{settings.connections}",
        f"-d{seconds:g}s", "--latency", "--timeout", f"{settings.request_timeout:g}s", *load.args(base_url),
    ]  # fmt: skip
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30, check=False)
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"wrk did not finish: {shlex.join(cmd)}") from error
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr}{done.stdout}")
    result = parse_wrk(done.stdout)
    what = load.method or load.path
    if result.non_2xx:
        raise BenchError(f"wrk counted {result.non_2xx} non-2xx responses for {what}:\n{done.stdout}")
    if any(result.socket_errors.values()):
        raise BenchError(f"wrk socket errors for {what}: {result.socket_errors}\n{done.stdout}")
    if result.requests == 0:
        raise BenchError(f"wrk made no request for {what}")
    return result
