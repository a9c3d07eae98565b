"""``studio-comms worker`` processes for the crash and scale-out tests."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from studio_comms.db.database import Database
from studio_comms.outbox.models import OutboxItem
from studio_comms.outbox.service import EventType, enqueue
from studio_comms.webhooks import service
from studio_comms.webhooks.schemas import WebhookCreate
from tests.dbtools import orm

STUDIO_COMMS = Path(sys.executable).parent / "studio-comms"


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self, timeout: float = 20.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def done_count(self) -> int:
        """Items this worker finished successfully, from its log lines."""
        return sum(int(n) for n in re.findall(r"outbox: (\d+) done", self.output()))


def start_worker(database_url: str, tmp_path: Path, name: str, **settings: str) -> WorkerProcess:
    env = {
        **os.environ,
        "STUDIO_COMMS_DATABASE_URL": database_url,
        "STUDIO_COMMS_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
        "STUDIO_COMMS_WORKER_LEASE_SECONDS": "3",
        "STUDIO_COMMS_WEBHOOK_TIMEOUT_SECONDS": "2",
        "STUDIO_COMMS_WORKER_POLL_SECONDS": "0.1",
        "STUDIO_COMMS_VAR_DIR": str(tmp_path / "var"),
        **{f"STUDIO_COMMS_{key.upper()}": value for key, value in settings.items()},
    }
    log = tmp_path / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(STUDIO_COMMS), "worker"], env=env, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT
        )
    return WorkerProcess(process, log)


def subscribe_committed(engine: Engine, studio_id: int, url: str) -> dict[str, str]:
    with Database(engine).transaction() as tx:
        created = service.create(tx, studio_id, WebhookCreate(url=url), now=datetime.now(UTC))
    return {"apiKey": created.apiKey, "signingSecret": created.signingSecret}


def enqueue_committed(engine: Engine, studio_id: int, count: int) -> list[str]:
    """``count`` committed events (customer ids 1..count); returns their uuids."""
    with Database(engine).transaction() as tx:
        return [
            enqueue(
                tx,
                studio_id=studio_id,
                event_type=EventType.CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED,
                entity_id=number,
                now=datetime.now(UTC),
            )
            for number in range(1, count + 1)
        ]


def open_items(engine: Engine, studio_id: int) -> int:
    with orm(Database(engine)) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(OutboxItem)
                .where(OutboxItem.studio_id == studio_id, OutboxItem.completed_at.is_(None))
            )
            or 0
        )


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, *, workers: Sequence[WorkerProcess] = ()
) -> None:
    """Fails naming ``what``, with the log of each of ``workers`` (what they were doing)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    logs = "".join(
        f"\n--- log of {worker.log.stem} (exit code {worker.process.poll()}) ---\n{worker.output()[-6000:]}"
        for worker in workers
    )
    raise AssertionError(f"not within {timeout} s: {what}{logs}")


def wait_started(worker: WorkerProcess, timeout: float = 120.0) -> None:
    """Until the worker logged that it runs: starting (imports, migrations) can take many seconds
    on a busy machine, and must not eat into a test's wait for what the worker does."""
    wait_until(lambda: "started" in worker.output(), timeout, f"{worker.log.stem} starts", workers=[worker])
