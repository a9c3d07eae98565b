"""A database outage is told in a few lines, not one per failed request (361 warnings in a 6-s
outage before): a warning when it begins, one per interval while it lasts, one when it is over.
On PostgreSQL the server goes away; on SQLite the database is unavailable when another process
holds its write lock past the busy timeout (10 s)."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from studio_comms.db.engine import normalize_url
from tests.conftest import backend, postgres_admin_url
from tests.factories import World
from tests.faults import database_away
from tests.servers import serve_process

PREFS = "/v1/communications/1/communication-preferences"
OUTAGE_SECONDS = 6.0


@pytest.mark.serial
@pytest.mark.postgres_only
def test_a_six_second_outage_under_load_logs_a_few_lines(
    tmp_path: Path, database_url: str, committed_world: World
) -> None:
    name = make_url(database_url).database
    app_name = f"outage-log-{uuid.uuid4().hex[:8]}"
    statuses: Counter[int] = Counter()
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(headers={"X-API-KEY": committed_world.key_a}, timeout=30) as client:
            while not stop.is_set():
                statuses[client.get(server.base + PREFS).status_code] += 1

    admin = create_engine(normalize_url(postgres_admin_url()), isolation_level="AUTOCOMMIT")
    with serve_process(
        tmp_path, f"{database_url}?application_name={app_name}", rate_limit="1000000/minute"
    ) as server:
        readers = [threading.Thread(target=load) for _ in range(3)]
        for reader in readers:
            reader.start()
        try:
            time.sleep(1.0)
            database_away(admin, name or "", app_name, OUTAGE_SECONDS)
            time.sleep(2.0)
        finally:
            stop.set()
            for reader in readers:
                reader.join(timeout=60)
            admin.dispose()
        log = server.output()
    assert statuses[503] >= 20, statuses  # many requests failed ...
    unavailable = [line for line in log.splitlines() if "database unavailable" in line]
    still = [line for line in log.splitlines() if "database still unavailable" in line]
    back = re.findall(r"database available again after [\d.]+ s; (\d+) requests failed meanwhile", log)
    print(f"outage of {OUTAGE_SECONDS} s: {statuses[503]} answers 503, {len(unavailable)} warnings")
    assert len(unavailable) == 1, log[-4000:]  # ... and it was said once,
    assert len(still) <= 1, still  # at most once more per 10 s,
    assert len(back) == 1, log[-3000:]  # and its end once, with the count.
    assert int(back[0]) >= statuses[503]


# SQLite: the process's writes queue for its one writer, so one at a time waits out the busy
# timeout (10 s) and fails: held past two timeouts, two writes fail (one warning, not two).
BUSY_TIMEOUT_SECONDS = 10.0
LOCK_SECONDS = 2 * BUSY_TIMEOUT_SECONDS + 3.0
OPT_IN = [{"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}]


@pytest.mark.serial
@pytest.mark.skipif(backend() != "sqlite", reason="SQLite's write lock; PostgreSQL's outage is above")
def test_sqlite_locked_past_its_busy_timeout_under_write_load_logs_a_few_lines(
    tmp_path: Path, database_url: str, committed_world: World
) -> None:
    statuses: Counter[int] = Counter()
    stop = threading.Event()

    def write() -> None:
        with httpx.Client(headers={"X-API-KEY": committed_world.key_a}, timeout=60) as client:
            while not stop.is_set():
                statuses[client.put(server.base + PREFS, json=OPT_IN).status_code] += 1

    with serve_process(tmp_path, database_url, rate_limit="1000000/minute") as server:
        headers = {"X-API-KEY": committed_world.key_a}
        assert httpx.put(server.base + PREFS, json=OPT_IN, headers=headers, timeout=60).status_code == 200
        holder = sqlite3.connect(make_url(database_url).database or "", isolation_level=None)
        writers = [threading.Thread(target=write) for _ in range(4)]
        try:
            holder.execute("BEGIN IMMEDIATE")  # another process's write transaction
            for writer in writers:
                writer.start()
            time.sleep(LOCK_SECONDS)
            holder.execute("ROLLBACK")
            time.sleep(3.0)  # writes succeed again, and for longer than the outage's settling second
        finally:
            if holder.in_transaction:
                holder.execute("ROLLBACK")
            holder.close()
            stop.set()
            for writer in writers:
                writer.join(timeout=90)
        log = server.output()
    assert statuses[503] >= 2, statuses  # writes failed one after another ...
    assert statuses[200] >= 4, statuses  # ... and wrote again after
    assert set(statuses) <= {200, 503}, statuses
    unavailable = [line for line in log.splitlines() if "database unavailable" in line]
    back = re.findall(r"database available again after [\d.]+ s; (\d+) requests failed meanwhile", log)
    print(f"SQLite locked {LOCK_SECONDS} s: {statuses[503]} answers 503, {len(unavailable)} warnings")
    assert len(unavailable) == 1, log[-4000:]  # said once, not once per failed write
    assert len(back) == 1, log[-3000:]
    assert int(back[0]) == statuses[503]
