"""Rows are read by column name: every statement's columns agree with its row class's fields, so a
column added to a statement cannot shift what anyone reads (``db.rows``). Read with sqlglot,
without running anything; ``Tx`` checks the same against the driver the first time it reads."""

from __future__ import annotations

import ast
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from studio_comms.db.sql import Sql
from tests.architecture.source import modules
from tests.architecture.test_tenancy import all_statements


def returned_columns(text: str) -> list[str]:
    """The names of the columns a statement returns (SELECT, UNION, or RETURNING), in order; a
    column without a name (an expression without ``AS``) is ``""``, ``SELECT *`` is ``"*"``."""
    statement = sqlglot.parse_one(text, read="postgres")
    if isinstance(statement, exp.Select | exp.Union):
        return list(statement.named_selects)
    returning = statement.args.get("returning")
    return [column.alias_or_name for column in returning.expressions] if returning else []


def disagreements(sql: Sql[Any]) -> str | None:
    columns = returned_columns(sql.text)
    if sql.row is None:
        if len(columns) > 1:
            return f"returns {len(columns)} columns but declares no row class: add row=… (db/rows.py)"
        return None
    if tuple(columns) != sql.columns:
        return (
            f"returns columns {tuple(columns)} but its row class {sql.row.__name__} has fields "
            f"{sql.columns}: name each column as its field (AS …), in the same order"
        )
    return None


def test_every_statement_returns_the_columns_its_row_class_names() -> None:
    offenders = [
        f"{sql.module}: {problem}\n    {sql.text}"
        for sql in all_statements()
        if (problem := disagreements(sql)) is not None
    ]
    assert offenders == [], (
        "A statement's rows are read by column name through the row class declared with it "
        "(Sql(…, row=…), see db/rows.py):\n" + "\n".join(offenders)
    )


def positional_reads(tree: ast.AST) -> list[int]:
    """Lines that read a result row by position: ``<…row…>[<number>]`` or ``<…rows…>[<number>]``."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Subscript)
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, int)
        and "row" in ast.unparse(node.value).lower()
    ]


def test_no_module_reads_a_row_by_position() -> None:
    offenders = [f"{module.where}:{line}" for module in modules() for line in positional_reads(module.tree)]
    assert offenders == [], (
        "Read rows by column name (row.<column>): a column added to a statement shifts every "
        "position:\n" + "\n".join(offenders)
    )


# -- the checks themselves, on examples ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "columns"),
    [
        ("SELECT a, t.b, c AS d FROM t", ["a", "b", "d"]),
        ("SELECT 0 AS kind, a FROM t UNION ALL SELECT 1, b FROM u", ["kind", "a"]),
        ("UPDATE t SET a = 1 WHERE id = :id RETURNING id, kind", ["id", "kind"]),
        ("INSERT INTO t (a) VALUES (:a) RETURNING id", ["id"]),
        ("SELECT COUNT(*) FROM t", [""]),
        ("SELECT * FROM t", ["*"]),
        ("DELETE FROM t WHERE id = :id", []),
    ],
)
def test_the_columns_a_statement_returns_are_read(text: str, columns: list[str]) -> None:
    assert returned_columns(text) == columns


def test_a_row_read_by_position_is_found() -> None:
    tree = ast.parse("x = row[0]\ny = self._rows(q)[1]\nz = parts[0]\nw = row.id\n")
    assert positional_reads(tree) == [1, 2]
