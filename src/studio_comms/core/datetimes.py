"""Date-times as Sport Alliance writes them.

ISO-8601 with ``Z`` or an offset, an optional fraction, and an optional Java ``ZonedDateTime``
zone suffix: ``2022-06-22T08:00:00.000+02:00[Europe/Berlin]``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_ZONE_SUFFIX = re.compile(r"^(?P<stamp>[^\[\]]+)\[(?P<zone>[A-Za-z0-9_+\-/]{1,64})\]\Z")
# Date and time are required; the fraction is optional; Python accepts the rest (Z, offsets).
_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?\Z")


def parse_instant(text: str) -> datetime:
    """The instant ``text`` names, in UTC. Raises ``ValueError`` with a reason people understand."""
    zone_name = None
    match = _ZONE_SUFFIX.match(text.strip())
    stamp = text.strip()
    if match:
        stamp, zone_name = match["stamp"], match["zone"]
    if not _SHAPE.match(stamp):
        raise ValueError("use ISO-8601, e.g. 2022-06-22T08:00:00.000+02:00")
    # Python 3.11 takes at most 6 fraction digits; Java may send nanoseconds.
    stamp = re.sub(r"\.(\d{6})\d+", r".\1", stamp)
    try:
        parsed = datetime.fromisoformat(stamp)
    except ValueError as error:
        raise ValueError(f"not a valid date-time: {error}") from error
    if parsed.tzinfo is None:
        if zone_name is None:
            raise ValueError("needs an offset (Z or +02:00) or a zone such as [Europe/Berlin]")
        try:
            parsed = parsed.replace(tzinfo=ZoneInfo(zone_name))
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {zone_name}") from error
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        # 9999-12-31T23:00:00-01:00 is in year 10000 in UTC; 0001-01-01T00:30:00+01:00 in year 0.
        raise ValueError("out of range: must lie within the years 1 to 9999 in UTC") from None
