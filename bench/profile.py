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
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

from benchlib import apps
from benchlib.delivery import enqueue_events, fresh_database, receiver, subscribe, wait_drained, workers
from benchlib.machine import REPO, source_state
from benchlib.postgres import Postgres, admin_if
from benchlib.procs import (
    CLK_TCK,
    BenchError,
    Server,
    command_of,
    log,
    process_ticks,
    thread_ticks,
    user_system_ticks,
)
from benchlib.pyspy import recording
from benchlib.seeding import reset_preferences, seed
from benchlib.stacks import Window, load_collapsed, summarize_markdown
from benchlib.window import wait_for_quiet
from benchlib.wrk import Load

from studio_comms.db.database import open_database

RESULTS = REPO / "bench" / "results"
SERVER_TARGETS = {"get": "GET", "put": "PUT", "post-thread": "POST-thread"}
TARGETS = (*SERVER_TARGETS, "webhook")


@contextlib.contextmanager
def loaded(server: Server, load: Load, client_cpu: str) -> Iterator[None]:
    """wrk against the server until the block ends (after a 2 s warm-up); stopped with SIGINT."""
    # A generous timeout: no latency is measured here.
    cmd = ["taskset", "-c", client_cpu, "wrk", "-t1", "-c16", "-d1h", "--timeout", "30s"]
    cmd += load.args(server.base_url)
    wrk = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(2)
        yield
    finally:
        wrk.send_signal(signal.SIGINT)  # wrk stops and prints what it measured
        output, _ = wrk.communicate(timeout=60)
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


def profile(pid: int, name: str, args: argparse.Namespace, work: Callable[[], None]) -> None:
    """py-spy while ``work`` runs: once for the SVG, then for the collapsed stacks (the quietest of
    a few tries), then their summary. Neighbours that take the server's core leave the GIL holder
    descheduled for whole time slices, and its samples pile up wherever it was preempted: such a
    recording is repeated."""
    rec = partial(recording, pid, rate=args.rate, core=args.client_cpu)
    with rec(args.out / f"{name}.svg", fmt="flamegraph"):
        work()
    best: tuple[float, Window, str] | None = None
    for attempt in range(args.retries + 1):
        foreign = ForeignCpu()
        user, system = user_system_ticks(pid)
        threads = thread_ticks(pid)
        started = time.monotonic()
        with rec(args.out / f"{name}.txt", fmt="raw"):
            work()
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
        noise = foreign.percent()
        log(f"  {name}: process CPU {100 * (window.user + window.system):.0f} %, foreign CPU {noise:.0f} %")
        if best is None or noise < best[0]:
            best = (noise, window, (args.out / f"{name}.txt").read_text())
        if noise <= 25 or attempt == args.retries:
            break
    assert best is not None
    noise, window, stacks = best
    (args.out / f"{name}.txt").write_text(stacks)
    title = f"{name} — commit {source_state()[0]}, {window.seconds:.0f} s at {args.rate} Hz"
    title += f", foreign CPU {noise:.0f} %"
    (args.out / f"{name}.md").write_text(
        summarize_markdown(load_collapsed(args.out / f"{name}.txt"), window, title)
    )
    log(f"summary: {args.out / f'{name}.md'}")


class ForeignCpu:
    """CPU of other processes on this machine from now on, in % of one core: everything but this
    harness, its children (the profiled process, wrk, py-spy, the receiver) and PostgreSQL."""

    def __init__(self) -> None:
        self.before = process_ticks()
        self.started = time.monotonic()

    def percent(self) -> float:
        ours = os.getpid()
        foreign = 0
        for pid, (ppid, _pgrp, ticks) in process_ticks().items():
            if ours in (pid, ppid) or command_of(pid) == "postgres":
                continue
            foreign += ticks - self.before.get(pid, (0, 0, 0))[2]
        return max(0.0, foreign / CLK_TCK / (time.monotonic() - self.started) * 100)


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
            with loaded(ours, load, args.client_cpu):
                profile(ours.pid, f"{db}-{target}", args, partial(time.sleep, args.seconds))


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

        def drain() -> None:
            """One whole drain: every event's fan-out and delivery (fan-outs go first: oldest first)."""
            enqueue_events(database, studio, args.events)
            wait_drained(database)
            if worker.poll() is not None:
                raise BenchError("the worker died while it was profiled")

        profile(worker.pid, f"{db}-webhook", args, drain)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--targets", default=",".join(TARGETS), help=f"subset of {','.join(TARGETS)}")
    parser.add_argument("--seconds", type=float, default=40.0, help="per recording of a server target")
    parser.add_argument("--rate", type=int, default=100, help="samples per second")
    parser.add_argument("--events", type=int, default=2000, help="per recording of the webhook target")
    parser.add_argument("--server-cpu", default="0")
    parser.add_argument("--client-cpu", default="1")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--retries", type=int, default=2, help="re-recordings of a noisy window (2)")
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
