"""Is a statement scoped to one studio? Read with sqlglot, without running it.

A reference to a studio-owned table (one with a ``studio_id`` column; ``studios`` itself by its
``id``) is scoped when the statement says ``<table>.studio_id = :studio_id``, or joins it on
``studio_id`` to a table that is. An INSERT is scoped when it writes ``studio_id`` from
``:studio_id``. Subqueries are checked like the statement around them.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

STUDIO_PARAMETER = "studio_id"


def _is_parameter(node: exp.Expression) -> bool:
    return isinstance(node, exp.Placeholder) and node.name == STUDIO_PARAMETER


def _key_column(table: str) -> str:
    return "id" if table == "studios" else "studio_id"


def unscoped_tables(sql: str, owned: set[str]) -> list[str]:
    """The studio-owned tables the statement reads or writes without the studio filter."""
    statement = sqlglot.parse_one(sql, read="postgres")
    if isinstance(statement, exp.Insert):
        table = statement.this.this if isinstance(statement.this, exp.Schema) else statement.this
        name = table.name
        columns = (
            [column.name for column in statement.this.expressions]
            if isinstance(statement.this, exp.Schema)
            else []
        )
        values = statement.expression
        if name in owned:
            rows = values.expressions if isinstance(values, exp.Values) else []
            scoped = (
                STUDIO_PARAMETER in columns
                and all(_is_parameter(row.expressions[columns.index(STUDIO_PARAMETER)]) for row in rows)
                and bool(rows)
            )
            if not scoped:
                return [name]
        return []
    return sorted({name for scope in _scopes(statement) for name in _unscoped_in(scope, owned)})


def _scopes(statement: exp.Expression) -> list[exp.Expression]:
    return [statement, *(node for node in statement.find_all(exp.Select) if node is not statement)]


def _in_scope(node: exp.Expression, scope: exp.Expression) -> bool:
    """Whether ``node``'s nearest enclosing statement or subquery is ``scope``."""
    parent = node.parent
    while parent is not None and parent is not scope:
        if isinstance(parent, exp.Select | exp.Update | exp.Delete):
            return False
        parent = parent.parent
    return parent is scope


def _unscoped_in(scope: exp.Expression, owned: set[str]) -> list[str]:
    # Aliases of owned tables, and which of them the statement pins to the studio.
    aliases: dict[str, str] = {}
    for table in scope.find_all(exp.Table):
        if table.name in owned and _in_scope(table, scope):
            aliases[table.alias_or_name] = table.name
    if not aliases:
        return []
    single = next(iter(aliases)) if len(aliases) == 1 else None
    pinned: set[str] = set()
    joined: list[tuple[str, str]] = []
    for equality in scope.find_all(exp.EQ):
        if not _in_scope(equality, scope):
            continue
        left, right = equality.this, equality.expression
        for column, other in ((left, right), (right, left)):
            if not isinstance(column, exp.Column):
                continue
            alias = column.table or single
            if alias not in aliases or column.name != _key_column(aliases[alias]):
                continue
            if _is_parameter(other):
                pinned.add(alias)
            elif isinstance(other, exp.Column):
                other_alias = other.table or single
                if other_alias in aliases and other.name == _key_column(aliases[other_alias]):
                    joined.append((alias, other_alias))
    changed = True
    while changed:  # joined on the studio to a pinned table: pinned too
        changed = False
        for a, b in joined:
            if (a in pinned) != (b in pinned):
                pinned |= {a, b}
                changed = True
    return [aliases[alias] for alias in aliases if alias not in pinned]
