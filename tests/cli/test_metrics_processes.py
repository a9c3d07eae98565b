"""``serve --workers 2``: one scrape counts the requests both processes served (prometheus_client's
multiprocess files under the var directory), and a restart begins from files of live processes only;
a standalone ``worker`` on the same var directory is counted in ``serve``'s scrape too."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from studio_comms.core import metrics
from tests.conftest import ADMIN_TOKEN
from tests.factories import World
from tests.receiver import running_receiver
from tests.servers import serve_process
from tests.webhooks.processes import enqueue_committed, start_worker, subscribe_committed

pytestmark = pytest.mark.serial

PREFS = "/v1/communications/1/communication-preferences"
ROUTE = "/v1/communications/{customerId}/communication-preferences"
COUNT = "studio_comms_http_request_duration_seconds_count"
REQUESTS = 80


def counted(text: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == COUNT and sample.labels.get("route") == ROUTE and sample.labels["status"] == "200"
    )


def per_process(directory: Path) -> dict[str, float]:
    """The requests to the route in each process's own file (the scrape sums them)."""
    found = {}
    for file in directory.glob("histogram_*.db"):
        merged = MultiProcessCollector.merge([str(file)], accumulate=True)  # type: ignore[no-untyped-call]
        found[file.stem] = sum(
            sample.value
            for family in merged
            for sample in family.samples
            if sample.name == COUNT and sample.labels.get("route") == ROUTE
        )
    return found


def test_one_scrape_counts_the_requests_of_both_processes(
    tmp_path: Path, database_url: str, committed_world: World
) -> None:
    directory = tmp_path / "var" / metrics.METRICS_DIRECTORY
    directory.mkdir(parents=True)
    (directory / "counter_999999999.db").write_bytes(b"left by a process that no longer runs")
    with serve_process(
        tmp_path,
        database_url,
        processes=2,
        redis_url="redis://127.0.0.1:6379/0",
        rate_limit_key_prefix=f"test-{uuid.uuid4().hex}",
        admin_token=ADMIN_TOKEN,
    ) as server:
        deadline = time.monotonic() + 60
        while server.output().count(" serves (") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not (directory / "counter_999999999.db").exists()
        scrape = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        before = counted(httpx.get(server.base + "/metrics", headers=scrape, timeout=30).text)
        statuses: list[int] = []

        def requests(count: int) -> None:
            for _ in range(count):  # a connection each: the kernel hands it to either process
                response = httpx.get(
                    server.base + PREFS, headers={"X-API-KEY": committed_world.key_a}, timeout=30
                )
                statuses.append(response.status_code)

        threads = [threading.Thread(target=requests, args=(REQUESTS // 4,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [200] * REQUESTS

        for token in (None, "not-the-token-0123456789abcdef"):
            headers = {} if token is None else {"Authorization": f"Bearer {token}"}
            response = httpx.get(server.base + "/metrics", headers=headers, timeout=30)
            assert response.status_code == 401
            assert response.json()["errorCode"] == "AUTHENTICATION_FAILED"
        after = counted(httpx.get(server.base + "/metrics", headers=scrape, timeout=30).text)
        assert after - before == REQUESTS
        served = per_process(directory)
        assert len([n for n in served.values() if n > 0]) == 2, f"one process served everything: {served}"
        assert sum(served.values()) == after


def test_a_standalone_worker_is_counted_in_the_scrape_of_serve(
    tmp_path: Path, database_url: str, committed_world: World, engine: Engine
) -> None:
    with running_receiver() as receiver:
        subscribe_committed(engine, committed_world.studio_a, receiver.url)
        with serve_process(tmp_path, database_url, admin_token=ADMIN_TOKEN) as server:
            worker = start_worker(database_url, tmp_path, "worker")
            try:
                enqueue_committed(engine, committed_world.studio_a, 3)
                receiver.wait_for(3, timeout=60)
                scrape = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
                deadline, succeeded = time.monotonic() + 30, 0.0
                while succeeded < 3 and time.monotonic() < deadline:
                    text = httpx.get(server.base + "/metrics", headers=scrape, timeout=30).text
                    succeeded = sum(
                        sample.value
                        for family in text_string_to_metric_families(text)
                        for sample in family.samples
                        if sample.name == "studio_comms_webhook_attempts_total"
                        and sample.labels["outcome"] == "success"
                    )
                    time.sleep(0.2)
                assert succeeded == 3, worker.output()[-2000:]
            finally:
                assert worker.terminate() == 0
