"""Open-loop load at a fixed rate (asyncio), the stand-in for wrk2 where Debian has none.

Request i is due at ``start + i / rate`` whatever happened to the earlier ones, and its latency is
counted from that due time, not from when it was actually sent: a stalled server (or a late
generator) shows up in the percentiles instead of silently lowering the rate (no coordinated
omission). ``bench/run.py`` runs it pinned to the client core and reads the JSON it prints.

The HTTP/1.1 client is a small one of its own over asyncio streams (keep-alive connections, at most
``--connections``, reused most-recently-idle first; a request finding none free waits in a FIFO,
which counts in its latency). It replaced httpx, whose connection pool costs grow with the number of
waiting requests: against the bare ASGI app it stopped keeping up between 150 and 250 req/s on one
core and then collapsed (30-80 req/s achieved, requests unfinished), which made every latency row at
those rates a measurement of the generator.

    python bench/openloop.py --url http://127.0.0.1:8000 --mode get --api-key KEY --rate 500

Modes: ``get``/``put`` communication preferences (PUT flips NEWSLETTER/EMAIL), ``post-thread`` (a new
thread per request), ``put-thread`` (append to a customer's thread from ``--threads-file``, lines
"customer thread", status alternating ONGOING/CLOSED per thread), ``raw`` (GET ``--path``). The same
requests as bench/wrk_prefs.lua and bench/wrk_threads.lua.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import math
import random
import sys
import time
from typing import Any
from urllib.parse import urlsplit

PATH = "/v1/communications/{}/communication-preferences"
THREADS_PATH = "/v1/communications/{}/threads"
THREAD_PATH = "/v1/communications/{}/threads/{}"


def thread_body(status: str) -> bytes:
    return json.dumps(
        {
            "communicationThreadStatus": status,
            "subject": "Bench",
            "content": "Hello from the bench",
            "communicationDirection": "INCOMING",
            "communicationChannel": "EMAIL",
        },
        separators=(",", ":"),
    ).encode()


CREATE_BODY = thread_body("CREATED")
APPEND_BODY = {True: thread_body("ONGOING"), False: thread_body("CLOSED")}


def read_threads(path: str) -> list[tuple[int, int]]:
    """(customer, thread) pairs from lines "customer thread"."""
    pairs = []
    with open(path) as file:
        for line in file:
            parts = line.split()
            if len(parts) == 2 and all(p.isdigit() for p in parts):
                pairs.append((int(parts[0]), int(parts[1])))
    if not pairs:
        raise SystemExit(f"no threads in {path}")
    return pairs


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (as wrk reports it)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


class ProtocolError(Exception):
    """The server's answer is not HTTP/1.1 as this client understands it."""


# uvicorn closes a keep-alive connection after 5 s idle (--timeout-keep-alive); a request written as
# the server closes is lost (IncompleteReadError), so connections idle for longer than this go first.
MAX_IDLE_S = 3.0


class Connection:
    """One keep-alive HTTP/1.1 connection; one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = time.monotonic()

    def reusable(self) -> bool:
        """Not closed by the server and not idle long enough to be closed any moment."""
        return (
            not self.reader.at_eof()
            and not self.writer.is_closing()
            and time.monotonic() - self.idle_since < MAX_IDLE_S
        )

    async def exchange(self, request: bytes) -> tuple[int, bool]:
        """Send one request, read the whole answer: (status, server keeps the connection open)."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise ProtocolError(lines[0][:100])
        status = int(parts[1])
        length: int | None = None
        chunked = False
        keep_alive = parts[0] == "HTTP/1.1"
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            value = value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value
            elif name == "connection":
                keep_alive = value != "close" if keep_alive else value == "keep-alive"
        if chunked:
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length is not None:
            await self.reader.readexactly(length)
        elif status not in (204, 304) and not 100 <= status < 200:
            await self.reader.read()  # body until close
            keep_alive = False
        return status, keep_alive

    def close(self) -> None:
        self.writer.close()


class Pool:
    """At most ``size`` connections; the most recently idle one is reused first, so a low rate keeps
    few connections warm; when all are busy, requests wait in arrival order."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.host = host
        self.port = port
        self.size = size
        self.opened = 0
        self.total_opened = 0
        self.idle: list[Connection] = []
        self.waiters: collections.deque[asyncio.Future[Connection | None]] = collections.deque()
        self.all: set[Connection] = set()

    async def acquire(self) -> Connection:
        while True:
            while self.idle:
                connection = self.idle.pop()
                if connection.reusable():
                    return connection
                self.discard(connection)
            if self.opened < self.size:
                return await self._open()
            waiter: asyncio.Future[Connection | None] = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            try:
                handed = await waiter
            except asyncio.CancelledError:
                # Timed out while waiting: pass on what was handed over in the meantime.
                if waiter.done() and not waiter.cancelled():
                    late = waiter.result()
                    if late is None:
                        self._wake_one()
                    else:
                        self.release(late)
                raise
            if handed is not None:
                return handed
            # None: a connection was dropped, so there is room to open another.

    async def _open(self) -> Connection:
        self.opened += 1
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        except BaseException:
            self.opened -= 1
            self._wake_one()
            raise
        connection = Connection(reader, writer)
        self.total_opened += 1
        self.all.add(connection)
        return connection

    def release(self, connection: Connection) -> None:
        connection.idle_since = time.monotonic()
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        self.idle.append(connection)

    def discard(self, connection: Connection) -> None:
        connection.close()
        self.all.discard(connection)
        self.opened -= 1
        self._wake_one()

    def _wake_one(self) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def close(self) -> None:
        for connection in self.all:
            connection.close()
        self.all.clear()


class Load:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.state: dict[int, bool] = {}
        self.threads = read_threads(args.threads_file) if args.mode == "put-thread" else []
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.errors: dict[str, int] = {}
        self.completed = 0
        self.max_lag = 0.0
        self.host_header = urlsplit(args.url).netloc

    def request(self) -> tuple[str, str, dict[str, str], bytes | None]:
        args = self.args
        if args.mode == "raw":
            return "GET", args.path, {}, None
        customer = random.randint(1, args.customers)
        headers = {"X-API-KEY": args.api_key}
        if args.mode == "get":
            return "GET", PATH.format(customer), headers, None
        if args.mode == "post-thread":
            headers["Content-Type"] = "application/json"
            return "POST", THREADS_PATH.format(customer), headers, CREATE_BODY
        if args.mode == "put-thread":
            index = random.randrange(len(self.threads))
            ongoing = not self.state.get(index, False)
            self.state[index] = ongoing
            headers["Content-Type"] = "application/json"
            return "PUT", THREAD_PATH.format(*self.threads[index]), headers, APPEND_BODY[ongoing]
        active = not self.state.get(customer, False)
        self.state[customer] = active
        body = (
            '[{"messageCategory":"NEWSLETTER","channels":[{"communicationChannel":"EMAIL","active":'
            + ("true" if active else "false")
            + "}]}]"
        ).encode()
        headers["Content-Type"] = "application/json"
        return "PUT", PATH.format(customer), headers, body

    def encode(self, method: str, path: str, headers: dict[str, str], body: bytes | None) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host_header}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")

    async def one(self, pool: Pool, due: float, record: bool) -> None:
        request = self.encode(*self.request())
        connection: Connection | None = None
        try:
            async with asyncio.timeout(self.args.timeout):
                connection = await pool.acquire()
                status, keep_alive = await connection.exchange(request)
        except (OSError, EOFError, ValueError, ProtocolError, asyncio.LimitOverrunError) as error:
            # OSError covers TimeoutError (--timeout), EOFError asyncio.IncompleteReadError.
            if connection is not None:
                pool.discard(connection)
            name = type(error).__name__
            self.errors[name] = self.errors.get(name, 0) + 1
            return
        done = time.perf_counter()
        if keep_alive:
            pool.release(connection)
        else:
            pool.discard(connection)
        if record:
            self.completed += 1
            self.latencies.append(done - due)
            self.statuses[status] = self.statuses.get(status, 0) + 1

    async def run(self) -> dict[str, Any]:
        args = self.args
        url = urlsplit(args.url)
        if url.scheme != "http" or not url.hostname:
            raise SystemExit(f"--url must be http://HOST[:PORT], not {args.url}")
        port = url.port or 80
        pool = Pool(url.hostname, port, args.connections)
        try:
            warm = int(args.rate * args.warmup)
            total = warm + int(args.rate * args.duration)
            interval = 1.0 / args.rate
            tasks: set[asyncio.Task[None]] = set()
            start = time.perf_counter() + 0.05
            measure_start = start + warm * interval
            for i in range(total):
                due = start + i * interval
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                elif i >= warm:
                    self.max_lag = max(self.max_lag, -delay)
                task = asyncio.create_task(self.one(pool, due, i >= warm))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            sent_end = time.perf_counter()
            if tasks:
                await asyncio.wait(tasks, timeout=args.timeout + 5)
            elapsed = time.perf_counter() - measure_start
        finally:
            pool.close()
        lat = sorted(self.latencies)
        non_2xx = sum(n for status, n in self.statuses.items() if not 200 <= status < 300)
        return {
            "mode": args.mode,
            "requested_rate": args.rate,
            # Rate at which requests were handed to the client (falls short when the generator lags).
            "sent_rate": (total - warm) / max(1e-9, sent_end - measure_start),
            "achieved_rate": self.completed / max(1e-9, elapsed),
            "requests": self.completed,
            "p50_ms": percentile(lat, 50) * 1000,
            "p90_ms": percentile(lat, 90) * 1000,
            "p99_ms": percentile(lat, 99) * 1000,
            "max_ms": (lat[-1] * 1000) if lat else math.nan,
            "max_generator_lag_ms": self.max_lag * 1000,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "non_2xx": non_2xx,
            "errors": self.errors,
            "unfinished": len(tasks),
            "connections_opened": pool.total_opened,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True, help="base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--mode", choices=["get", "put", "post-thread", "put-thread", "raw"], required=True)
    parser.add_argument("--path", default="/", help="path for --mode raw")
    parser.add_argument("--api-key", default="")
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--threads-file", default="", help='--mode put-thread: lines "customer thread"')
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--duration", type=float, default=8.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    # Generous: with every connection busy, requests wait in the client (counted in their latency),
    # which caps what reaches the server; an open loop should not do that.
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.duration <= 0:
        parser.error("--rate and --duration must be positive")
    if args.mode == "put-thread" and not args.threads_file:
        parser.error("--mode put-thread needs --threads-file")
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        runner = asyncio.run
    result = runner(Load(args).run())
    result["event_loop"] = "uvloop" if runner is not asyncio.run else "asyncio"
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
