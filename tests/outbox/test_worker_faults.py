"""A worker whose database is away says so once per interval, in one line, and keeps trying."""

from __future__ import annotations

import logging
import threading

import pytest

from studio_comms.background import build_worker
from studio_comms.db.database import open_database
from studio_comms.settings import Settings


def test_an_unreachable_database_is_one_warning_per_interval_without_traceback(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="studio_comms")
    away = settings.model_copy(
        update={"database_url": "postgresql://postgres@127.0.0.1:1/none", "worker_poll_seconds": 0.05}
    )
    stop = threading.Event()
    with open_database(away.database_url, connect_args={"connect_timeout": 1}) as database:
        worker = build_worker(away, database, listen=False)
        runner = threading.Thread(target=worker.run, args=(stop,))
        runner.start()
        stop.wait(1.0)  # ~20 polls
        stop.set()
        runner.join(timeout=30)
        worker.close()
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert "database error, retrying: OperationalError" in errors[0].getMessage()
    assert errors[0].exc_info is None
