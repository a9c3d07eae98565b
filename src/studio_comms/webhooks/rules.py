"""Delivery state changes: the one place that says what a finished, rescheduled or reopened
delivery looks like (the caller saves it)."""

from __future__ import annotations

from datetime import datetime

from studio_comms.webhooks.repository import Delivery
from studio_comms.webhooks.schemas import DeliveryState


def finish(delivery: Delivery, state: DeliveryState, now: datetime) -> None:
    delivery.state = state.value
    delivery.next_attempt_at = None
    delivery.finished_at = now


def reschedule(delivery: Delivery, retry_at: datetime | None, now: datetime) -> None:
    """After a failed attempt: the next one at ``retry_at``, or dead when there is none."""
    if retry_at is None:
        finish(delivery, DeliveryState.DEAD, now)
    else:
        delivery.next_attempt_at = retry_at


def reopen(delivery: Delivery, now: datetime) -> None:
    """Pending again, due now (a replay, or an operator reviving dead deliveries)."""
    delivery.state = DeliveryState.PENDING.value
    delivery.next_attempt_at = now
    delivery.finished_at = None
