"""Quiet hours (pure): whether a message of a category may go out now, in the studio's zone.

A window is two local clock times; a start after the end spans midnight (21:00-08:00). CONTRACT
and APPOINTMENT messages are never deferred: a contract notice or a class cancelled at 7:00 must
reach the member before the class, whatever the studio set for marketing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from studio_comms.core.vocabulary import MessageCategory

Window = tuple[str, str]

NEVER_DEFERRED = frozenset({MessageCategory.CONTRACT, MessageCategory.APPOINTMENT})
DEFAULT_QUIET_HOURS: Mapping[MessageCategory, Window] = {
    MessageCategory.NEWSLETTER: ("21:00", "08:00"),
    MessageCategory.LOYALTY_PROGRAM: ("21:00", "08:00"),
}


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def effective_windows(configured: Mapping[str, list[str]] | None) -> dict[MessageCategory, Window]:
    """The studio's windows: what the operator set, or the defaults where nothing was set."""
    if configured is None:
        return dict(DEFAULT_QUIET_HOURS)
    return {
        MessageCategory(category): (window[0], window[1])
        for category, window in configured.items()
        if MessageCategory(category) not in NEVER_DEFERRED
    }


def quiet_until(
    windows: Mapping[MessageCategory, Window], category: MessageCategory, now: datetime, zone: ZoneInfo
) -> datetime | None:
    """When the quiet hours around ``now`` end (UTC), or None when the message may go now."""
    window = windows.get(category)
    if window is None or category in NEVER_DEFERRED:
        return None
    start, end = _clock(window[0]), _clock(window[1])
    if start == end:
        return None
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    today = local.date()
    if start < end:
        ends = today if start <= clock < end else None
    elif clock >= start:
        ends = today + timedelta(days=1)
    elif clock < end:
        ends = today
    else:
        ends = None
    if ends is None:
        return None
    return datetime.combine(ends, end, tzinfo=zone).astimezone(UTC)
