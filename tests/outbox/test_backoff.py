from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from studio_comms.outbox.backoff import JITTER, retry_at

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
SCHEDULE = (5, 300, 1800)


@pytest.mark.parametrize(("attempts", "base"), [(1, 5), (2, 300), (3, 1800)])
def test_each_failure_waits_its_scheduled_delay_within_the_jitter(attempts: int, base: int) -> None:
    rng = random.Random(7)
    for _ in range(200):
        at = retry_at(SCHEDULE, attempts, NOW, rng)
        assert at is not None
        assert base * (1 - JITTER) <= (at - NOW).total_seconds() <= base * (1 + JITTER)


def test_jitter_spreads_retries() -> None:
    rng = random.Random(1)
    delays = {retry_at(SCHEDULE, 2, NOW, rng) for _ in range(20)}
    assert len(delays) > 10


def test_no_retry_after_the_last_scheduled_one() -> None:
    assert retry_at(SCHEDULE, 4, NOW) is None
    assert retry_at((), 1, NOW) is None


def test_an_empty_delay_retries_at_once() -> None:
    assert retry_at((0,), 1, NOW) == NOW


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        retry_at(SCHEDULE, 0, NOW)


def test_the_default_schedule_spans_about_a_day() -> None:
    from studio_comms.settings import Settings

    total = sum(Settings().webhook_retry_schedule)
    assert timedelta(hours=20) <= timedelta(seconds=total) <= timedelta(hours=30)


def test_the_schedule_comes_from_the_environment_as_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    from studio_comms.settings import Settings

    monkeypatch.setenv("STUDIO_COMMS_WEBHOOK_RETRY_SCHEDULE", "1, 2,30")
    assert Settings().webhook_retry_schedule == (1, 2, 30)
    monkeypatch.setenv("STUDIO_COMMS_WEBHOOK_RETRY_SCHEDULE", "")
    assert Settings().webhook_retry_schedule == ()  # no retries: the first failure is final
    for bad in ("5,soon", "5,-1"):
        monkeypatch.setenv("STUDIO_COMMS_WEBHOOK_RETRY_SCHEDULE", bad)
        with pytest.raises(ValueError, match="webhook_retry_schedule"):
            Settings()


def test_a_lease_must_outlast_an_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    from studio_comms.settings import Settings

    monkeypatch.setenv("STUDIO_COMMS_WORKER_LEASE_SECONDS", "5")
    with pytest.raises(ValueError, match="worker_lease_seconds must be longer"):
        Settings()
    monkeypatch.setenv("STUDIO_COMMS_WEBHOOK_TIMEOUT_SECONDS", "4")
    assert Settings().worker_lease_seconds == 5
