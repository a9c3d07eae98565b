"""What a kind of outbox item plugs into the worker: its ``Handler`` and what a handler returns.

The seam itself is described at the top of :mod:`studio_comms.outbox.worker` (which re-exports
these names).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from studio_comms.db.tx import Tx
from studio_comms.outbox.queue import ClaimedItem


@dataclass(frozen=True, slots=True)
class Outcome:
    error: str | None = None
    # Not tried: run the item again after this many seconds, without counting an attempt.
    defer_seconds: float | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.defer_seconds is None


@dataclass(frozen=True, slots=True)
class AttemptInfo:
    # When the attempt started.
    now: datetime
    # When the item is tried again if this attempt failed, counted from when it ended (a receiver
    # that timed out after 5 s gets the whole delay to recover); None: it was the last attempt.
    retry_at: datetime | None


# Records the result of ``perform`` once the attempt is over (so its end is known).
Recorder = Callable[[Tx, AttemptInfo], Outcome]


class Handler(Protocol):
    def perform(self, item: ClaimedItem, now: datetime) -> Any:
        """The outside work, holding no transaction; ``now``: when the attempt started. Returns a
        :data:`Recorder`; may be ``async def`` (then awaited on the worker's loop)."""

    def failed(self, tx: Tx, item: ClaimedItem, attempt: AttemptInfo, error: str) -> None:
        """The handler itself crashed (``perform`` or its recorder raised): record what the
        domain shows, in the transaction that reschedules the item or marks it dead."""

    def close(self) -> None:
        """Release what the handler holds (connections); the worker is done."""
