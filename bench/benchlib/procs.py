"""Processes the bench starts (pinned, in their own process group) and their CPU from /proc."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(RuntimeError):
    """A benchmark that cannot be trusted: the harness exits non-zero."""


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


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


def user_system_ticks(pid: int) -> tuple[int, int]:
    """(utime, stime) of one process, all its threads; (0, 0) when it is gone."""
    fields = proc_stat(pid)
    return (int(fields[11]), int(fields[12])) if fields else (0, 0)


def command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return ""


def thread_ticks(pid: int) -> dict[int, int]:
    """tid -> utime+stime of every thread of the process (the main thread's tid is the pid)."""
    ticks = {}
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(f"/proc/{pid}/task"):
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                raw = Path(entry.path, "stat").read_text()
                fields = raw[raw.rindex(")") + 2 :].split()
                ticks[int(entry.name)] = int(fields[11]) + int(fields[12])
    return ticks


def process_ticks() -> dict[int, tuple[int, int, int]]:
    """pid -> (ppid, pgrp, utime+stime) of every live process."""
    table = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = proc_stat(int(entry.name))
            if fields:
                table[int(entry.name)] = (int(fields[1]), int(fields[2]), int(fields[11]) + int(fields[12]))
    return table


def group_cpu_ticks(pgid: int) -> int:
    """utime+stime of every live process in the group, plus what its leader reaped (cutime+cstime)."""
    total = 0
    for pid, (_ppid, pgrp, ticks) in process_ticks().items():
        if pgrp == pgid:
            total += ticks
            if pid == pgid:
                fields = proc_stat(pid)
                total += int(fields[13]) + int(fields[14]) if fields else 0
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

    def __init__(
        self,
        name: str,
        argv: list[str],
        *,
        port: int,
        env: dict[str, str],
        cwd: Path,
        core: str,
        ready_path: str,
    ) -> None:
        self.name = name
        self.base_url = f"http://127.0.0.1:{port}"
        self.argv = ["taskset", "-c", core, *argv]
        self.env = env
        self.cwd = cwd
        self.ready_path = ready_path
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
        self.wait_ready()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def wait_ready(self, timeout: float = 90.0) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        last = "no answer"
        with httpx.Client(base_url=self.base_url, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    code = self.proc.returncode
                    raise BenchError(
                        f"{self.name} exited with {code} before it was ready:\n{self.log_tail()}"
                    )
                try:
                    response = client.get(self.ready_path)
                    if response.status_code == 200:
                        return
                    last = f"HTTP {response.status_code}"
                except httpx.HTTPError as error:
                    last = type(error).__name__
                time.sleep(0.2)
        raise BenchError(f"{self.name} not ready after {timeout:.0f}s ({last}):\n{self.log_tail()}")

    def cpu_ticks(self) -> int:
        return group_cpu_ticks(self.pid)

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            for first, wait in ((sig, 15.0), (signal.SIGKILL, 5.0)):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, first)
                try:
                    self.proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        # Anything the server left in its group (it should leave nothing) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
