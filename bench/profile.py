#!/usr/bin/env python3
"""Where the CPU of a request and of a webhook event goes: py-spy on our processes under load.

For each database: a fresh database, ours (``studio-comms serve --no-worker``) pinned to the server
core and seeded as ``make bench`` seeds it; for each target a wrk closed loop (16 connections,
pinned to the client core) keeps the server saturated while py-spy (on the client core) records a
flame graph (SVG) and then, for as long again, collapsed stacks; the stacks are summarised by
component (bench/benchlib/stacks.py). The ``webhook`` target profiles a standalone ``studio-comms
worker`` draining queued events to bench/receiver.py instead. Everything goes to bench/results/
(git-ignored): ``<database>-<target>.svg``, ``.txt`` (collapsed stacks) and ``.md`` (summary).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from benchlib import apps
from benchlib.delivery import enqueue_events, fresh_database, receiver, subscribe, workers
from benchlib.machine import REPO, source_state
from benchlib.postgres import Postgres, admin_if
from benchlib.procs import CLK_TCK, BenchError, Server, log, thread_ticks, user_system_ticks
from benchlib.pyspy import record
from benchlib.seeding import reset_preferences, seed
from benchlib.stacks import Window, load_collapsed, summarize_markdown
from benchlib.window import wait_for_quiet
from benchlib.wrk import Load

from studio_comms.db.session import open_database

RESULTS = REPO / "bench" / "results"
SERVER_TARGETS = {"get": "GET", "put": "PUT", "post-thread": "POST-thread"}
TARGETS = (*SERVER_TARGETS, "webhook")


@contextlib.contextmanager
def loaded(server: Server, load: Load, seconds: float, client_cpu: str) -> Iterator[None]:
    """wrk against the server for ``seconds`` (plus a 2 s warm-up before yielding)."""
    # A generous timeout: py-spy pauses the server for every sample, and no latency is measured here.
    cmd = ["taskset", "-c", client_cpu, "wrk", "-t1", "-c16", f"-d{seconds + 4:g}s", "--timeout", "30s"]
    cmd += load.args(server.base_url)
    wrk = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(2)
        yield
    finally:
        output, _ = wrk.communicate(timeout=seconds + 60)
        if "Non-2xx" in output or "Socket errors" in output:
            raise BenchError(f"wrk saw errors while profiling:\n{output}")
        log(
            "wrk while profiling: "
            + " ".join(line.strip() for line in output.splitlines() if "Requests/sec" in line)
        )


def quiet(args: argparse.Namespace) -> None:
    """Before loading: busy neighbours deschedule the process while it holds the GIL, which blurs
    the split between GIL time and CPU time."""
    wait_for_quiet((args.server_cpu, args.client_cpu), max_noise=25.0, quiet_wait=args.quiet_wait)


def profile(pid: int, name: str, args: argparse.Namespace) -> None:
    """An SVG, then collapsed stacks for as long again, then their summary."""
    rec = partial(record, pid, seconds=args.seconds, rate=args.rate, core=args.client_cpu)
    rec(args.out / f"{name}.svg", fmt="flamegraph")
    user, system = user_system_ticks(pid)
    threads = thread_ticks(pid)
    started = time.monotonic()
    stacks = rec(args.out / f"{name}.txt", fmt="raw")
    wall = time.monotonic() - started
    after, threads_after = user_system_ticks(pid), thread_ticks(pid)
    used = {tid: ticks - threads.get(tid, 0) for tid, ticks in threads_after.items()}
    window = Window(
        seconds=wall,
        rate=args.rate,
        user=(after[0] - user) / CLK_TCK / wall,
        system=(after[1] - system) / CLK_TCK / wall,
        main_thread=used.get(pid, 0) / max(1, sum(used.values())),
    )
    title = f"{name} — commit {source_state()[0]}, {args.seconds:g} s at {args.rate} Hz"
    (args.out / f"{name}.md").write_text(summarize_markdown(load_collapsed(stacks), window, title))
    log(f"summary: {args.out / f'{name}.md'}")


def profile_server(db: str, pg: Postgres | None, targets: list[str], args: argparse.Namespace) -> None:
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sc-profile-")))
        db_url = (
            f"sqlite:///{workdir / 'bench.db'}" if db == "sqlite" else stack.enter_context(pg.database())[1]
        )  # type: ignore[union-attr]
        ours = apps.ours(db_url, workdir, args.server_cpu)
        stack.callback(ours.stop)
        ours.start()
        api_key, _studio = seed(ours.base_url, 100)
        for target in targets:
            if target == "put":
                reset_preferences(ours.base_url, api_key, 100)
            load = Load(method=SERVER_TARGETS[target], api_key=api_key)
            quiet(args)
            with loaded(ours, load, 2 * args.seconds, args.client_cpu):
                profile(ours.pid, f"{db}-{target}", args)


def profile_worker(db: str, pg: Postgres | None, args: argparse.Namespace) -> None:
    with contextlib.ExitStack() as stack:
        rx = stack.enter_context(
            receiver(args.client_cpu, Path(stack.enter_context(tempfile.TemporaryDirectory())))
        )
        db_url = stack.enter_context(fresh_database(db, pg))
        database = stack.enter_context(open_database(db_url))
        studio = subscribe(database, rx.base_url, 1)
        (worker,) = stack.enter_context(workers(db_url, 1, args.server_cpu))
        quiet(args)
        enqueue_events(database, studio, args.events)
        profile(worker.pid, f"{db}-webhook", args)
        if worker.poll() is not None:
            raise BenchError("the worker died while it was profiled")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--targets", default=",".join(TARGETS), help=f"subset of {','.join(TARGETS)}")
    parser.add_argument("--seconds", type=float, default=40.0, help="per recording (two per target)")
    parser.add_argument("--rate", type=int, default=100, help="samples per second")
    parser.add_argument("--events", type=int, default=3000, help="queued for the webhook target")
    parser.add_argument("--server-cpu", default="0")
    parser.add_argument("--client-cpu", default="1")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--quiet-wait", type=float, default=60.0, help="seconds to wait for a quiet machine")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    # SIGTERM unwinds like an exception, so the receiver, workers and databases are cleaned up.
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    targets = [t for t in args.targets.split(",") if t]
    if set(targets) - set(TARGETS):
        parser.error(f"--targets: a subset of {','.join(TARGETS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    databases = [d for d in args.databases.split(",") if d]
    server_targets = [t for t in targets if t in SERVER_TARGETS]
    try:
        with admin_if("postgres" in databases, args.postgres_url) as pg:
            for db in databases:
                if server_targets:
                    profile_server(db, pg, server_targets, args)
                if "webhook" in targets:
                    profile_worker(db, pg, args)
    except BenchError as error:
        log(f"FAILED: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
