"""Result rows, read by column name.

A statement that returns rows declares their class beside it: a ``NamedTuple`` (or, for rows the
code changes and writes back, a dataclass) whose fields are the statement's columns, in order,
named as the statement names them (``AS`` where a column is an expression)::

    class ThreadRow(NamedTuple):
        id: int
        created_at: datetime

    _THREAD = Sql("SELECT id, created_at FROM communication_threads WHERE …", row=ThreadRow)

``Tx.rows`` and ``Tx.row`` hand back instances of it. A row is read by name only: indexing,
unpacking or iterating a NamedTuple row raises ``TypeError`` (a dataclass has no positions), so a
column added to a statement cannot shift what anyone reads. Each statement's columns are compared
with its class's fields by ``tests/architecture/test_rows.py`` (every statement, read with
sqlglot) and by ``Tx`` against the driver's own description the first time a statement's rows are
read.

What a column needs to become its field's type is declared by that type, once for both databases
(NULL stays ``None`` whatever the type):

=================  =====================================  ===========================================
field type         SQLite hands back                      PostgreSQL hands back
=================  =====================================  ===========================================
``datetime``       ISO text of the UTC time: made aware   aware UTC already (``db.engine`` makes every
                                                          session speak UTC): nothing to do
``date``           ISO text: parsed                       a ``date``
``bool``           0 or 1: made a ``bool``                a ``bool``
``dict``/``list``  the JSON text: parsed                  parsed by psycopg
an ``Enum``        its value: the member                  its value: the member
=================  =====================================  ===========================================

Rows are made on the hottest paths (a GET reads a member's whole offer), so each class gets, per
database, one function generated when the statement is declared (as ``namedtuple`` once generated
its code): it unpacks the driver's tuple and builds the row in one go, converting only the
columns that need it; a NamedTuple that needs nothing is built by ``tuple.__new__`` alone.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

import orjson

Maker = Callable[[tuple[Any, ...]], Any]

# Expressions converting a non-NULL column value ``{v}``, by database.
_SQLITE = {
    datetime: "_datetime({v}).replace(tzinfo=_UTC)",
    date: "_date({v})",
    bool: "_bool({v})",
    "json": "_json({v})",
}
_POSTGRES: dict[Any, str] = {}
_HELPERS = {
    "_datetime": datetime.fromisoformat,
    "_UTC": UTC,
    "_date": date.fromisoformat,
    "_bool": bool,
    "_json": orjson.loads,
    "_new": tuple.__new__,
}

_prepared: dict[type, tuple[Maker, Maker]] = {}


def fields_of(row_class: type) -> tuple[str, ...]:
    """The names of a row class's fields, in order: the columns its statements return."""
    if _is_named_tuple(row_class):
        return tuple(row_class._fields)  # type: ignore[attr-defined]
    if dataclasses.is_dataclass(row_class):
        return tuple(field.name for field in dataclasses.fields(row_class) if field.init)
    raise TypeError(f"{row_class.__name__}: a statement's row class is a typing.NamedTuple or a dataclass")


def makers(row_class: type) -> tuple[Maker, Maker]:
    """The functions making ``row_class`` rows from SQLite's and PostgreSQL's tuples."""
    found = _prepared.get(row_class)
    if found is None:
        hints = typing.get_type_hints(row_class)
        kinds = [_kind(hints[name]) for name in fields_of(row_class)]
        found = (_maker(row_class, kinds, _SQLITE), _maker(row_class, kinds, _POSTGRES))
        if _is_named_tuple(row_class):
            _refuse_positions(row_class)
        _prepared[row_class] = found
    return found


def _is_named_tuple(row_class: type) -> bool:
    return issubclass(row_class, tuple) and hasattr(row_class, "_fields")


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


def _maker(row_class: type, kinds: list[Any], conversions: dict[Any, str]) -> Maker:
    namespace: dict[str, Any] = {**_HELPERS, "_cls": row_class}
    values = []
    for i, kind in enumerate(kinds):
        column = f"c{i}"
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            namespace[f"_members{i}"] = {member.value: member for member in kind}
            expression = f"_members{i}[{column}]"
        elif kind in conversions:
            expression = conversions[kind].format(v=column)
        else:
            values.append(column)
            continue
        values.append(f"None if {column} is None else {expression}")
    named_tuple = _is_named_tuple(row_class)
    if named_tuple and values == [f"c{i}" for i in range(len(kinds))]:
        return partial(tuple.__new__, row_class)
    columns = "".join(f"c{i}, " for i in range(len(kinds)))
    made = f"_new(_cls, ({', '.join(values)},))" if named_tuple else f"_cls({', '.join(values)})"
    source = f"def make(row):\n    {columns}= row\n    return {made}\n"
    exec(compile(source, f"<rows of {row_class.__qualname__}>", "exec"), namespace)  # noqa: S102
    maker: Maker = namespace["make"]
    return maker


def _positional(row: tuple[Any, ...], *_: Any) -> Any:
    raise TypeError(
        f"{type(row).__name__} rows are read by column name (row.<column>), never by position: "
        "a column added to the statement would shift every position"
    )


def _asdict(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in row._fields}


def _replace(row: Any, **changes: Any) -> Any:
    values = [changes.pop(name, getattr(row, name)) for name in row._fields]
    if changes:
        raise ValueError(f"{type(row).__name__} has no fields {sorted(changes)}")
    return tuple.__new__(type(row), values)


def _getnewargs(row: Any) -> tuple[Any, ...]:
    return tuple(getattr(row, name) for name in row._fields)


def _refuse_positions(row_class: Any) -> None:
    """Indexing and iterating refused; what NamedTuple built on iterating, rebuilt on names."""
    row_class.__getitem__ = _positional
    row_class.__iter__ = _positional
    row_class._asdict = _asdict
    row_class._replace = _replace
    row_class.__getnewargs__ = _getnewargs
