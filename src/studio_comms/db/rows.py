"""Result rows, read by column name.

A statement that returns rows declares their class beside it: a ``@dataclass(slots=True)`` whose
fields are the statement's columns, in order, named as the statement names them (``AS`` where a
column is an expression)::

    @dataclass(slots=True)
    class ThreadRow:
        id: int
        created_at: datetime

    _THREAD = Sql("SELECT id, created_at FROM communication_threads WHERE …", row=ThreadRow)

``Tx.rows`` and ``Tx.row`` hand back instances of it. A row has no positions (no indexing by number, no
unpacking: mypy refuses both), so a column added to a statement cannot shift what anyone reads.
Each statement's columns are compared with its class's fields by ``tests/architecture/test_rows.py``
(every statement, read with sqlglot) and by ``Tx`` against the driver's own description the first
time a statement's rows are read.

What a column needs to become its field's type is declared by that type, once for both databases
(NULL stays ``None`` whatever the type):

=================  =====================================  ===========================================
field type         SQLite hands back                      PostgreSQL hands back
=================  =====================================  ===========================================
``datetime``       ISO text of the UTC time: made aware   aware UTC already (``db.engine`` makes every
                                                          session speak UTC): nothing to do
``date``           ISO text: parsed                       a ``date``
``bool``           1 or 0: made a ``bool``                a ``bool``
``dict``/``list``  the JSON text: parsed                  parsed by psycopg
an ``Enum``        its value: the member                  its value: the member
=================  =====================================  ===========================================

Rows are made on the hottest paths (a GET reads a member's whole offer), so each class gets, per
database, one function generated when the statement is declared (as ``dataclasses`` generate
``__init__``): in one loop over the fetched tuples it unpacks each and stores every column in its
slot, converting only those that need it, without calling ``__init__``. Measured with callgrind
(docs/benchmarks.md): slotted rows are cheaper to make and to read than NamedTuples, whose fields
Python reads through a descriptor it does not specialise, and one call per statement is cheaper
than one per row.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import orjson

# Makes the rows of a fetched list of driver tuples.
Maker = Callable[[list[tuple[Any, ...]]], list[Any]]

# Expressions converting a non-NULL column value ``{v}``, by database.
_SQLITE = {
    datetime: "_datetime({v}).replace(tzinfo=_UTC)",
    date: "_date({v})",
    bool: "{v} == 1",  # SQLite's booleans are 1 and 0; a comparison costs less than a call
    "json": "_json({v})",
}
_POSTGRES: dict[Any, str] = {}
_HELPERS = {
    "_datetime": datetime.fromisoformat,
    "_UTC": UTC,
    "_date": date.fromisoformat,
    "_json": orjson.loads,
    "_new": object.__new__,
}

_prepared: dict[type, tuple[Maker, Maker]] = {}


def fields_of(row_class: type) -> tuple[str, ...]:
    """The names of a row class's fields, in order: the columns its statements return."""
    params = getattr(row_class, "__dataclass_params__", None)
    if params is None or "__slots__" not in row_class.__dict__ or params.frozen:
        raise TypeError(
            f"{row_class.__name__}: a statement's row class is a @dataclass(slots=True), not frozen"
        )
    if hasattr(row_class, "__post_init__"):
        raise TypeError(f"{row_class.__name__}: rows are made without __init__, so no __post_init__ runs")
    return tuple(field.name for field in dataclasses.fields(row_class))


def makers(row_class: type) -> tuple[Maker, Maker]:
    """The functions making lists of ``row_class`` rows from SQLite's and PostgreSQL's tuples."""
    found = _prepared.get(row_class)
    if found is None:
        names = fields_of(row_class)
        hints = typing.get_type_hints(row_class)
        kinds = [_kind(hints[name]) for name in names]
        found = (_maker(row_class, names, kinds, _SQLITE), _maker(row_class, names, kinds, _POSTGRES))
        _prepared[row_class] = found
    return found


def _kind(annotation: Any) -> Any:
    """What decides a field's conversion: ``datetime``, ``date``, ``bool``, ``"json"``, an Enum
    class, or None (the driver's value as it is)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        others = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(others) != 1:
            return None
        annotation = others[0]
    if typing.get_origin(annotation) in (dict, list) or annotation in (dict, list):
        return "json"
    if annotation in (datetime, date, bool):
        return annotation
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation
    return None


def _maker(row_class: type, names: tuple[str, ...], kinds: list[Any], conversions: dict[Any, str]) -> Maker:
    namespace: dict[str, Any] = {**_HELPERS, "_cls": row_class}
    columns = "".join(f"c{i}, " for i in range(len(names)))
    lines = [
        "def make(rows):",
        "    made_rows = []",
        "    append = made_rows.append",
        f"    for {columns}in rows:",
    ]
    lines.append("        made = _new(_cls)")
    for i, (name, kind) in enumerate(zip(names, kinds, strict=True)):
        column = f"c{i}"
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            namespace[f"_members{i}"] = {member.value: member for member in kind}
            value = f"None if {column} is None else _members{i}[{column}]"
        elif kind in conversions:
            value = f"None if {column} is None else {conversions[kind].format(v=column)}"
        else:
            value = column
        lines.append(f"        made.{name} = {value}")
    lines += ["        append(made)", "    return made_rows"]
    exec(compile("\n".join(lines) + "\n", f"<rows of {row_class.__qualname__}>", "exec"), namespace)  # noqa: S102
    maker: Maker = namespace["make"]
    return maker
