"""Sport Alliance data slices with a cursor ``offset`` (the id of the last entry returned)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from studio_comms.core.errors import Invalid
from studio_comms.core.openapi import INT64_MAX

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_SLICE_SIZE = 50
MAX_SLICE_SIZE = 100


def parse_offset(offset: str | None) -> int | None:
    if offset is None or offset == "":
        return None
    # isdigit() alone takes "²" and other Unicode digits int() refuses; the cursor is an int64 id.
    if not (offset.isascii() and offset.isdigit()) or len(offset) > 19 or int(offset) > INT64_MAX:
        raise Invalid(
            reference="offset",
            message_key="FIELD_INVALID",
            field="offset",
            detail="pass back the offset of the previous slice",
        )
    return int(offset)


def make_slice(
    rows: Sequence[T],
    *,
    slice_size: int,
    previous_offset: str | None,
    cursor: Callable[[T], int],
    convert: Callable[[T], R],
) -> tuple[list[R], str | None, bool]:
    """``rows`` holds up to ``slice_size + 1`` rows: the extra one only says there is more."""
    page = list(rows[:slice_size])
    has_next = len(rows) > slice_size
    offset = str(cursor(page[-1])) if page else previous_offset
    return [convert(row) for row in page], offset, has_next
