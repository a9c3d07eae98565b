#!/usr/bin/env python3
"""``make bench``: our API side by side with a minimal peer and the bare framework (issue 12).

For each database (SQLite, then PostgreSQL), in a fresh database:

1. start, each as one uvicorn process pinned to the server core: ours (``studio-comms serve
   --no-worker``: migrates), the peer (bench/peer.py: FastAPI + sqlite3/psycopg, plain SQL, no
   ledger/outbox/idempotency/rate limit), the bare FastAPI route (bench/hello.py) and a bare ASGI
   app (bench/bare_asgi.py, uvicorn's floor); seed 1 studio, 1 key and N customers through our
   operator API (and one thread per customer for PUT threads); check that the no-work routes answer
   the same bytes and that ours and the peer answer GET and a flipping PUT with the same bytes;
2. run ``--rounds`` interleaved rounds: in each, the no-work routes, then GET (peer, ours), then the
   writes (peer PUT, ours PUT, ours POST threads, ours PUT threads) back to back, each a
   ``wrk -t1 -c16`` closed loop pinned to the client core after a warm-up; the order inside each
   group flips every round. Every PUT flips NEWSLETTER/EMAIL of its customer (customers in turn),
   and the effective writes are counted (our ledger rows and outbox events, the peer's changes);
3. per row: req/s, p50/p99, server CPU per request (utime+stime of the server over the window ÷
   requests) and, on PostgreSQL, the CPU of its backends per request; per target of issue 12 the
   ratio ours ÷ other taken within each round, and its median over the rounds.

The section is printed and appended to docs/benchmarks.md (not with --quick or --no-append). Any
non-2xx answer, socket error or disagreement between ours and the peer fails the run (exit 1).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchlib.machine import REPO, machine_info, source_state
from benchlib.postgres import Postgres
from benchlib.procs import BenchError, log
from benchlib.report import DB_NAMES, Rounds, rows_table, targets_met, targets_table, write_warnings
from benchlib.rounds import ENDPOINTS, run_database
from benchlib.window import Meter
from benchlib.wrk import WrkSettings

DOCS = REPO / "docs" / "benchmarks.md"


class Terminated(BaseException):
    """SIGTERM/SIGHUP/--max-seconds: unwind through every cleanup, then exit non-zero."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--databases", default="sqlite,postgres", help="comma-separated subset of sqlite,postgres")
    add(
        "--endpoints",
        default=",".join(ENDPOINTS),
        help=f"subset of {','.join(ENDPOINTS)} (no-work rows always)",
    )
    add("--rounds", type=int, default=5, help="interleaved rounds; medians are reported (default 5)")
    add("--duration", type=float, default=8.0, help="seconds per measured window (default 8)")
    add("--warmup", type=float, default=2.0, help="warm-up seconds before each window (default 2)")
    add("--quick", action="store_true", help="1 round of 3 s windows, no re-measuring, nothing appended")
    add("--connections", type=int, default=16, help="wrk connections (default 16)")
    add("--customers", type=int, default=100, help="customers seeded and taken in turn (default 100)")
    add("--request-timeout", type=float, default=15.0, help="seconds before a request counts as failed")
    add(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    add("--max-noise", type=float, default=25.0, help="foreign CPU (%% of a core) that counts as busy (25)")
    add("--quiet-wait", type=float, default=60.0, help="seconds to wait for a quiet machine (60)")
    add("--noise-retries", type=int, default=2, help="re-measurements of a noisy window (default 2)")
    add("--server-cpu", default="0", help="core of the servers (default 0)")
    add("--client-cpu", default="1", help="core of wrk (default 1)")
    add("--output", type=Path, default=DOCS, help="markdown file the section is appended to")
    add("--no-append", action="store_true", help="print only")
    add("--json", type=Path, help="also write every measurement here")
    add("--enforce-targets", action="store_true", help="exit 2 when a target is missed")
    add("--max-seconds", type=int, default=0, help="hard limit for the whole run (default: estimated)")
    args = parser.parse_args(argv)
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    if not args.databases or set(args.databases) - set(DB_NAMES):
        parser.error("--databases: a subset of sqlite,postgres")
    names = [e.strip().lower() for e in args.endpoints.split(",") if e.strip()]
    if set(names) - set(ENDPOINTS):
        parser.error(f"--endpoints: a subset of {','.join(ENDPOINTS)}")
    args.endpoints = [name for name in ENDPOINTS if name in names]
    if args.quick:
        args.rounds, args.duration, args.warmup, args.noise_retries, args.no_append = 1, 3.0, 1.0, 0, True
    if args.rounds < 1 or args.duration <= 0 or args.warmup < 0:
        parser.error("--rounds must be >= 1 and --duration > 0")
    if not args.max_seconds:
        windows = (
            3
            + 2 * ("get" in names)
            + 2 * ("put" in names)
            + ("post-thread" in names)
            + ("put-thread" in names)
        )
        per_round = windows * (args.warmup + args.duration + 8)
        args.max_seconds = int(len(args.databases) * (args.rounds * per_round * 3 + 180))
    return args


def preflight(args: argparse.Namespace) -> None:
    for tool in ("wrk", "taskset"):
        if not shutil.which(tool):
            raise BenchError(
                f"`{tool}` not found (apt-get install -y {'wrk' if tool == 'wrk' else 'util-linux'})"
            )
    for cpu in (args.server_cpu, args.client_cpu):
        if int(cpu) not in os.sched_getaffinity(0):
            raise BenchError(f"CPU {cpu} is not available here (have {sorted(os.sched_getaffinity(0))})")


def render(results: dict[str, Rounds], info: dict[str, str], args: argparse.Namespace, command: str) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    warning = f"\n{info['warning']}\n" if "warning" in info else ""
    tables = "\n\n".join(
        f"### {DB_NAMES[db]}: per row, medians of {len(rounds)} round(s)\n\n{rows_table(db, rounds)}"
        for db, rounds in results.items()
    )
    return f"""## {now} — peer and ceilings, commit {info["commit"]}
{warning}
- Command: `{command}`
- Machine: {info["nproc"]} CPUs (`nproc`), {info["cpu"]}, Linux {info["kernel"]}; Python {info["python"]}; \
PostgreSQL {info["postgres"]} (unpinned, shares both cores)
- Libraries: {info["libs"]}; load: {info["wrk"]}
- Each app one uvicorn process pinned to CPU {args.server_cpu} (ours: `studio-comms serve --no-worker`, \
the others `uvicorn --no-access-log --log-level warning`); `taskset -c {args.client_cpu} wrk -t1 \
-c{args.connections} -d{args.duration:g}s --latency` after a {args.warmup:g} s warm-up; {args.customers} \
customers taken in turn; {args.rounds} interleaved round(s), order flipped every round. Server CPU: \
utime+stime of the server process over the window ÷ requests; DB backend CPU: the PostgreSQL backends \
of the bench database, likewise. Foreign CPU: what other processes on this shared machine used meanwhile \
(% of one core; above {args.max_noise:g} % a window is measured again, up to {args.noise_retries} times).

{tables}

### Targets of issue 12 (ratios taken within each round, then the median)

{targets_table(results)}

{write_warnings(results)}
"""


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = shlex.join(["python", "bench/run.py", *(sys.argv[1:] if argv is None else argv)])

    def stop(signum: int, _frame: Any) -> None:
        raise Terminated(
            f"signal {signum}" if signum != signal.SIGALRM else f"over --max-seconds={args.max_seconds}"
        )

    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGALRM):
        signal.signal(sig, stop)
    signal.alarm(args.max_seconds)
    pg: Postgres | None = None
    started = time.monotonic()
    try:
        preflight(args)
        pg = Postgres(args.postgres_url) if "postgres" in args.databases else None
        meter = Meter(
            WrkSettings(args.client_cpu, args.connections, 1, args.request_timeout), args.server_cpu,
            args.duration, args.warmup, args.max_noise, args.noise_retries, args.quiet_wait, pg,
        )  # fmt: skip
        info = machine_info(pg.version() if pg else "not used")
        source_before = source_state()
        results: dict[str, Rounds] = {}
        with tempfile.TemporaryDirectory(prefix="sc-bench-") as tmp:
            for db in args.databases:
                results[db] = run_database(
                    meter, db, pg, rounds=args.rounds, endpoints=args.endpoints, customers=args.customers,
                    workdir=Path(tmp) / db, core=args.server_cpu,
                )  # fmt: skip
        if source_state()[1] != source_before[1]:  # a commit alone changes nothing measured
            info["warning"] = (
                "⚠️ The code under src/ changed during this run: the rounds measured different versions."
            )
        section = render(results, info, args, command)
        print(section)
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        db: [{k: asdict(m) for k, m in r.items()} for r in rounds]
                        for db, rounds in results.items()
                    },
                    indent=1,
                )
            )
        if not args.no_append:
            args.output.write_text(args.output.read_text().rstrip("\n") + "\n\n" + section)
            log(f"appended to {args.output}")
        log(f"done in {time.monotonic() - started:.0f}s")
        return 2 if args.enforce_targets and not targets_met(results) else 0
    except (BenchError, Terminated) as error:
        log(f"FAILED: {error}")
        return 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        signal.alarm(0)
        if pg is not None:
            pg.close()


if __name__ == "__main__":
    sys.exit(main())
