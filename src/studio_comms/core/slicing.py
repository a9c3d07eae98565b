"""Sport Alliance data slices with a cursor ``offset`` (the id of the last entry returned).

Every sliced list (consent history, threads, webhook deliveries) is built by :func:`slice_of`:
parse the client's offset, fetch one row more than asked (it only says whether there is more),
convert the page. ``offset`` is always there, as in the official slices (``required``): ``"0"`` —
the official default — means "from the start", and an empty slice hands back the offset it was
asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Protocol, TypeVar

from fastapi import Query
from pydantic import BaseModel

from studio_comms.core.errors import Invalid
from studio_comms.core.schemas import Slice

R = TypeVar("R", bound=BaseModel)

START = "0"  # no id is 0
DEFAULT_SLICE_SIZE = 50
MAX_SLICE_SIZE = 100
INT64_MAX = 2**63 - 1


class HasId(Protocol):
    @property
    def id(self) -> int: ...


T = TypeVar("T", bound=HasId)


# The cursor as published: "0" or empty for the start, else the id the previous slice ended with.
OFFSET_PATTERN = r"^[0-9]{0,19}$"
OffsetQuery = Annotated[
    str | None, Query(max_length=19, pattern=OFFSET_PATTERN, description="From the previous slice")
]


def parse_offset(offset: str | None) -> int | None:
    """The id the previous slice ended with; ``None`` for the first slice."""
    if offset is None or offset in ("", START):
        return None
    # isdigit() alone takes "²" and other Unicode digits int() refuses; the cursor is an int64 id.
    if not (offset.isascii() and offset.isdigit()) or len(offset) > 19:
        raise Invalid(
            reference="offset",
            message_key="FIELD_INVALID",
            field="offset",
            detail="pass back the offset of the previous slice",
        )
    # Any 19 digits are a cursor (the published pattern says so): beyond the last id, nothing follows.
    return min(int(offset), INT64_MAX)


def slice_of(
    model: type[R],
    offset: str | None,
    slice_size: int,
    fetch: Callable[[int, int], Sequence[T]],
    convert: Callable[[T], R],
) -> Slice[R]:
    """A slice, newest first: ``fetch(before_id, limit)`` returns rows with ids below ``before_id``."""
    after = parse_offset(offset)
    rows = fetch(INT64_MAX if after is None else after, slice_size + 1)
    page = rows[:slice_size]
    next_offset = str(page[-1].id) if page else offset or START
    return Slice[model](  # type: ignore[valid-type]
        result=[convert(row) for row in page], offset=next_offset, hasNext=len(rows) > slice_size
    )
