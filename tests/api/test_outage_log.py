"""A database outage is told in a few lines, not one per failed request (361 warnings in a 6-s
outage before): a warning when it begins, one per interval while it lasts, one when it is over."""

from __future__ import annotations

import re
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
from tests.conftest import postgres_admin_url
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
