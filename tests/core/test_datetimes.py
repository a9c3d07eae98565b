from __future__ import annotations

from datetime import UTC, datetime

import pytest

from studio_comms.core.datetimes import parse_instant

BERLIN_8AM_SUMMER = datetime(2022, 6, 22, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2022-06-22T08:00:00.000+02:00[Europe/Berlin]",
        "2022-06-22T08:00:00+02:00",
        "2022-06-22T06:00:00Z",
        "2022-06-22T06:00:00.000Z",
        "2022-06-22T06:00:00.000000000Z",
        "2022-06-22T08:00+02:00",
        "2022-06-22T08:00:00[Europe/Berlin]",
        "2022-06-22T08:00:00+0200",
    ],
)
def test_accepted_forms_name_the_same_instant(text: str) -> None:
    assert parse_instant(text) == BERLIN_8AM_SUMMER


def test_nanoseconds_are_cut_to_microseconds() -> None:
    assert parse_instant("2022-06-22T06:00:00.123456789Z").microsecond == 123456


@pytest.mark.parametrize(
    "text",
    [
        "2022-06-22T08:00:00",
        "2022-06-22",
        "yesterday",
        "2022-13-01T00:00:00Z",
        "2022-06-22T08:00:00Z[Mars/Base]x",
        "2022-06-22T08:00:00[Mars/Base]",
        "",
        "2022-06-22 08:00:00Z",
    ],
)
def test_rejected_forms(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each form has its own message
        parse_instant(text)
