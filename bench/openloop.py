"""Open-loop load at a fixed rate (asyncio + httpx), the stand-in for wrk2 where Debian has none.

Request i is due at ``start + i / rate`` whatever happened to the earlier ones, and its latency is
counted from that due time, not from when it was actually sent: a stalled server (or a late
generator) shows up in the percentiles instead of silently lowering the rate (no coordinated
omission). ``bench/run.py`` runs it pinned to the client core and reads the JSON it prints.

    python bench/openloop.py --url http://127.0.0.1:8000 --mode get --api-key KEY --rate 500
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import sys
import time
from typing import Any

import httpx

PATH = "/v1/communications/{}/communication-preferences"


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (as wrk reports it)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


class Load:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.state: dict[int, bool] = {}
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.errors: dict[str, int] = {}
        self.completed = 0
        self.max_lag = 0.0

    def request(self) -> tuple[str, str, dict[str, str], bytes | None]:
        args = self.args
        if args.mode == "raw":
            return "GET", args.path, {}, None
        customer = random.randint(1, args.customers)
        headers = {"X-API-KEY": args.api_key}
        if args.mode == "get":
            return "GET", PATH.format(customer), headers, None
        active = not self.state.get(customer, False)
        self.state[customer] = active
        body = (
            '[{"messageCategory":"NEWSLETTER","channels":[{"communicationChannel":"EMAIL","active":'
            + ("true" if active else "false")
            + "}]}]"
        ).encode()
        headers["Content-Type"] = "application/json"
        return "PUT", PATH.format(customer), headers, body

    async def one(self, client: httpx.AsyncClient, due: float, record: bool) -> None:
        method, path, headers, body = self.request()
        try:
            response = await client.request(method, path, headers=headers, content=body)
            await response.aread()
        except httpx.HTTPError as error:
            name = type(error).__name__
            self.errors[name] = self.errors.get(name, 0) + 1
            return
        done = time.perf_counter()
        if record:
            self.completed += 1
            self.latencies.append(done - due)
            self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1

    async def run(self) -> dict[str, Any]:
        args = self.args
        limits = httpx.Limits(max_connections=args.connections, max_keepalive_connections=args.connections)
        timeout = httpx.Timeout(args.timeout)
        async with httpx.AsyncClient(base_url=args.url, limits=limits, timeout=timeout) as client:
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
                task = asyncio.create_task(self.one(client, due, i >= warm))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            sent_end = time.perf_counter()
            if tasks:
                await asyncio.wait(tasks, timeout=args.timeout + 5)
            elapsed = time.perf_counter() - measure_start
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
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True, help="base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--mode", choices=["get", "put", "raw"], required=True)
    parser.add_argument("--path", default="/", help="path for --mode raw")
    parser.add_argument("--api-key", default="")
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--duration", type=float, default=8.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    # Generous: a client pool that runs dry queues requests inside httpx (costly there) and caps
    # the offered load, which is what an open loop must not do.
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.duration <= 0:
        parser.error("--rate and --duration must be positive")
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
