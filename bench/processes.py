"""``serve --workers 2`` against ``--workers 1`` on PostgreSQL (issue 12, "every core").

Both cores serve (no pinning: the point is to use them), wrk runs unpinned beside them with 32
connections, GET and flipping PUT preferences, rounds alternating 1 and 2 processes; reported:
req/s, p99, and the CPU of the whole server (all its processes) and of PostgreSQL's backends per
request. On this 2-core machine wrk and PostgreSQL take cores too, so two API processes cannot
double anything; what the run shows is whether a second process adds throughput once one is
saturated, and at what CPU per request.

Usage: ``python bench/processes.py [--rounds 3] [--seconds 8]`` (Redis on 127.0.0.1:6379).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

from benchlib.apps import service_env, studio_comms_script
from benchlib.postgres import Postgres
from benchlib.procs import Server, free_port, log
from benchlib.seeding import reset_preferences, seed
from benchlib.wrk import Load, WrkSettings, run_wrk

REDIS_URL = "redis://127.0.0.1:6379/0"


def serve(db_url: str, workdir: Path, processes: int) -> Server:
    port = free_port()
    env = {
        **service_env(db_url, workdir),
        "STUDIO_COMMS_REDIS_URL": REDIS_URL,
        "STUDIO_COMMS_RATE_LIMIT_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
    }
    argv = [studio_comms_script(), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker"]
    argv += ["--workers", str(processes)]
    # All cores: Server pins to the cores it is given.
    return Server(
        f"ours-{processes}p", argv, port=port, env=env, cwd=workdir, core="0-1", ready_path="/readyz"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    pg = Postgres(args.postgres_url)
    wrk = WrkSettings(client_cpu="0-1", connections=32, threads=2)
    rows: dict[tuple[str, int], list[tuple[float, float, float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp, pg.database() as (dbname, db_url):
        workdir = Path(tmp)
        for round_number in range(args.rounds):
            for processes in (1, 2) if round_number % 2 == 0 else (2, 1):
                server = serve(db_url, workdir, processes)
                server.start()
                try:
                    if not rows:
                        api_key, _studio = seed(server.base_url, 100)
                    for method in ("GET", "PUT"):
                        if method == "PUT":
                            reset_preferences(server.base_url, api_key, 100)
                        load = Load(method=method, api_key=api_key, customers=100)
                        run_wrk(wrk, server.base_url, load, 2)  # warm-up: every process connected
                        server_before, backends_before = server.cpu_ticks(), pg.backend_ticks(dbname)
                        result = run_wrk(wrk, server.base_url, load, args.seconds)
                        server_ticks = server.cpu_ticks() - server_before
                        backends_after = pg.backend_ticks(dbname)
                        backend_ticks = sum(
                            ticks - backends_before.get(pid, 0) for pid, ticks in backends_after.items()
                        )
                        hz = os.sysconf("SC_CLK_TCK")
                        rows.setdefault((method, processes), []).append(
                            (
                                result.rps,
                                result.p99_ms,
                                server_ticks / hz * 1000 / result.requests,
                                backend_ticks / hz * 1000 / result.requests,
                            )
                        )
                        log(f"{method}, {processes} process(es): {result.rps:.0f} req/s")
                finally:
                    server.stop()
    pg.close()
    print("\n| endpoint | API processes | req/s | p99 ms | server CPU ms/req | PostgreSQL CPU ms/req |")
    print("|---|---:|---:|---:|---:|---:|")
    for (method, processes), samples in sorted(rows.items()):
        rps, p99, cpu, backend = (statistics.median(column) for column in zip(*samples, strict=True))
        print(f"| {method} preferences | {processes} | {rps:,.0f} | {p99:.1f} | {cpu:.3f} | {backend:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
