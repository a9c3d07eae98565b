"""Multi-row INSERTs (pure): the rows cut into statement sizes, each row's parameters numbered."""

from __future__ import annotations

from studio_comms.db.sql import chunks, numbered, repeated


def test_rows_are_cut_largest_first_and_none_is_lost() -> None:
    rows = list(range(27))
    pieces = list(chunks(rows, (10, 3, 1)))
    assert [size for size, _ in pieces] == [10, 10, 3, 3, 1]
    assert [row for _, piece in pieces for row in piece] == rows
    assert all(len(piece) == size for size, piece in pieces)
    assert list(chunks([], (10, 1))) == []


def test_each_copy_of_the_row_has_its_own_parameters() -> None:
    assert (
        repeated("(:studio_id, :name_{i})", 3)
        == "(:studio_id, :name_0), (:studio_id, :name_1), (:studio_id, :name_2)"
    )
    assert numbered([{"name": "a"}, {"name": "b"}]) == {"name_0": "a", "name_1": "b"}
