"""Real servers for the tests that need a socket: ``studio-comms serve`` processes and in-thread uvicorn.

Both run the server configuration of ``serve`` (``studio_comms.server``): its HTTP protocol with the
head limit, its proxy settings.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from studio_comms.server import server_config
from studio_comms.settings import Settings

STUDIO_COMMS = Path(sys.executable).parent / "studio-comms"
# The rate limit of every app and server under test unless the test sets its own (``rate_limit``):
# no test may depend on how many requests a minute the machine manages, and a quick machine sends
# more than the production default. The tests of the limit set theirs.
UNREACHED_RATE_LIMIT = "1000000/minute"
# A deadline that only bounds a failure: a loaded machine (make test beside other work) may take long.
STARTUP_SECONDS = 90.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_live(
    base: str, process: subprocess.Popen[bytes], log: Path, seconds: float = STARTUP_SECONDS
) -> httpx.Response:
    deadline = time.monotonic() + seconds
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            raise AssertionError(f"serve exited with {process.returncode}:\n{output}")
        try:
            response = httpx.get(f"{base}/healthz", timeout=1.0)
            if response.status_code == 200:
                return response
        except httpx.HTTPError as error:
            last_error = error
        time.sleep(0.1)
    raise AssertionError(f"/healthz did not answer 200 within {seconds} s: {last_error!r}")


@dataclass
class ServeProcess:
    process: subprocess.Popen[bytes]
    base: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def peak_rss_kib(self) -> int:
        """The process's resident set high-water mark (VmHWM)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise AssertionError("no VmHWM in /proc status")


@contextmanager
def serve_process(
    tmp_path: Path,
    database_url: str,
    *,
    name: str = "serve",
    worker: bool = False,
    processes: int = 1,
    **settings: str,
) -> Iterator[ServeProcess]:
    """``studio-comms serve`` (``--no-worker`` unless ``worker``) on ``database_url``; ``settings``
    are STUDIO_COMMS_* values. The rate limit is one no machine reaches unless ``rate_limit`` is
    given (a load test must not depend on how many requests a minute the machine manages)."""
    settings.setdefault("rate_limit", UNREACHED_RATE_LIMIT)
    port = free_port()
    env = {
        **os.environ,
        "STUDIO_COMMS_DATABASE_URL": database_url,
        "STUDIO_COMMS_VAR_DIR": str(tmp_path / "var"),
        **{f"STUDIO_COMMS_{key.upper()}": value for key, value in settings.items()},
    }
    if "redis_url" not in settings:
        env.pop("STUDIO_COMMS_REDIS_URL", None)
    log = tmp_path / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                *(str(STUDIO_COMMS), "serve", "--port", str(port), "--workers", str(processes)),
                *([] if worker else ["--no-worker"]),
            ],
            env=env,
            cwd=tmp_path,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    served = ServeProcess(process, f"http://127.0.0.1:{port}", log)
    try:
        # Several processes each import the app: on a busy 2-core machine that takes a while.
        wait_until_live(served.base, process, log, STARTUP_SECONDS * processes)
        yield served
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@contextmanager
def server_thread(app: FastAPI, settings: Settings) -> Iterator[str]:
    """``app`` under uvicorn with ``serve``'s configuration, on a thread of this process."""
    port = free_port()
    server = uvicorn.Server(server_config(app, settings, host="127.0.0.1", port=port))
    thread = threading.Thread(target=server.run, name="uvicorn-under-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError("the in-thread server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
