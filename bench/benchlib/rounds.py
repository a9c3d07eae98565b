"""One database's share of ``make bench``: start the apps once, then interleaved A/B rounds.

Every round measures each group of comparable rows back to back (the no-work routes; GET; the
writes), alternating which app goes first from round to round, so that drift on this shared machine
falls on both sides of every ratio. The apps stay up between rounds, pinned to the same core; an
idle uvicorn costs nothing measurable.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from benchlib import apps
from benchlib.postgres import Postgres
from benchlib.procs import Server, log
from benchlib.seeding import (
    Counters,
    check_alike,
    create_threads,
    outbox_events,
    peer_changes,
    reset_preferences,
    reset_threads,
    seed,
)
from benchlib.window import Measurement, Meter, WriteCounters
from benchlib.wrk import Load

# --endpoints name -> the rows it adds (the no-work rows are always measured).
ENDPOINTS = {
    "get": ("peer GET", "ours GET"),
    "put": ("peer PUT", "ours PUT"),
    "post-thread": ("ours POST thread",),
    "put-thread": ("ours PUT thread",),
}
NO_WORK = ("bare ASGI", "bare FastAPI", "ours no-work")


@dataclass
class Row:
    server: Server
    load: Load
    prepare: Callable[[], None] | None = None
    writes: WriteCounters | None = None


def groups(endpoints: list[str]) -> list[tuple[str, ...]]:
    """Rows measured back to back; writes together, as the thread rows are compared with the peer's PUT."""
    reads = ENDPOINTS["get"] if "get" in endpoints else ()
    writes = tuple(
        row for name in ("put", "post-thread", "put-thread") if name in endpoints for row in ENDPOINTS[name]
    )
    return [group for group in (NO_WORK, reads, writes) if group]


def run_database(
    meter: Meter,
    db: str,
    pg: Postgres | None,
    *,
    rounds: int,
    endpoints: list[str],
    customers: int,
    workdir: Path,
    core: str,
) -> list[dict[str, Measurement]]:
    workdir.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, Measurement]] = []
    with contextlib.ExitStack() as stack:
        if db == "sqlite":
            dbname, db_url = None, f"sqlite:///{workdir / 'bench.db'}"
        else:
            assert pg is not None
            dbname, db_url = stack.enter_context(pg.database())

        def started(server: Server) -> Server:
            stack.callback(server.stop)
            server.start()
            return server

        ours = started(apps.ours(db_url, workdir, core))  # migrates the database
        api_key, studio_id = seed(ours.base_url, customers)
        peer = started(apps.peer(db_url, api_key, studio_id, workdir, core))
        hello = started(apps.hello(workdir, core))
        bare = started(apps.bare_asgi(workdir, core))
        check_alike(ours.base_url, peer.base_url, hello.base_url, bare.base_url, api_key)
        rows = plan(ours, peer, hello, bare, db_url, api_key, customers, workdir, endpoints)
        log(f"{db}: seeded {customers} customers; {rounds} round(s) of {', '.join(rows)}")
        for number in range(1, rounds + 1):
            log(f"=== {db} round {number}/{rounds}")
            measured: dict[str, Measurement] = {}
            for group in groups(endpoints):
                for name in group if number % 2 else reversed(group):
                    row = rows[name]
                    measured[name] = meter.measure(
                        name, row.server, row.load, dbname, prepare=row.prepare, writes=row.writes
                    )
            results.append(measured)
    return results


def plan(
    ours: Server, peer: Server, hello: Server, bare: Server, db_url: str, api_key: str, customers: int,
    workdir: Path, endpoints: list[str],
) -> dict[str, Row]:  # fmt: skip
    prefs = partial(Load, api_key=api_key, customers=customers)
    reset = partial(reset_preferences, ours.base_url, api_key, customers)
    rows = {
        "bare ASGI": Row(bare, Load("/")),
        "bare FastAPI": Row(hello, Load("/bench/ceiling")),
        "ours no-work": Row(ours, Load("/bench/ceiling")),
        "peer GET": Row(peer, prefs(method="GET")),
        "ours GET": Row(ours, prefs(method="GET")),
        "peer PUT": Row(peer, prefs(method="PUT"), reset, partial(peer_changes, peer.base_url)),
        "ours PUT": Row(
            ours,
            prefs(method="PUT"),
            reset,
            Counters(
                db_url,
                {
                    "ledger": "SELECT count(*) FROM consent_ledger",
                    "outbox": outbox_events("CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED"),
                },
            ),
        ),
        "ours POST thread": Row(
            ours,
            prefs(method="POST-thread"),
            None,
            Counters(
                db_url,
                {
                    "threads": "SELECT count(*) FROM communication_threads",
                    "outbox": outbox_events("COMMUNICATION_THREAD_CREATED"),
                },
            ),
        ),
    }
    if "put-thread" in endpoints:
        threads = create_threads(ours.base_url, api_key, customers, workdir / "threads.txt")
        rows["ours PUT thread"] = Row(
            ours,
            prefs(method="PUT-thread", threads_file=str(workdir / "threads.txt")),
            partial(reset_threads, ours.base_url, api_key, threads),
            Counters(
                db_url,
                {
                    "communications": "SELECT count(*) FROM communications",
                    "status changes": outbox_events("COMMUNICATION_THREAD_STATUS_CHANGED"),
                },
            ),
        )
    return rows
