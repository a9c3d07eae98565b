"""When to try a failed outbox item again: a schedule of delays with jitter, then give up."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

# ±10 %: receivers that failed together (an outage) do not all get their retries in the same second.
JITTER = 0.1


def retry_at(
    schedule: Sequence[int], attempts_made: int, now: datetime, rng: random.Random | None = None
) -> datetime | None:
    """The time of the next attempt after ``attempts_made`` failed ones, or None when none is left.

    ``schedule[0]`` is the wait after the first failure, so an item gets ``len(schedule) + 1``
    attempts in all.
    """
    if attempts_made < 1:
        raise ValueError("attempts_made counts the attempt that just failed, so it is at least 1")
    if attempts_made > len(schedule):
        return None
    base = schedule[attempts_made - 1]
    factor = 1 + (rng or random).uniform(-JITTER, JITTER)  # spreading load, not secrecy
    return now + timedelta(seconds=base * factor)
