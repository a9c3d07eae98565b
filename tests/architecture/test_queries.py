"""SQL lives in repositories only (and the outbox's queue and stats, the worker's cross-studio
readers), so every statement can be read, scoped and checked in one kind of place."""

from __future__ import annotations

import ast
import re

from tests.architecture.source import Module, modules

QUERY_MODULES = {"studio_comms.outbox.queue", "studio_comms.outbox.stats"}
# The data layer itself (transactions, the readiness ping) and the migrations.
INFRASTRUCTURE = ("studio_comms.db", "studio_comms.migrations")
SQLALCHEMY_QUERY_BUILDERS = {"select", "update", "delete", "insert", "text"}
PLAIN_SQL = re.compile(
    r"^\s*(SELECT\s.*\sFROM\s|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s)",
    re.IGNORECASE | re.DOTALL,
)


def may_query(module: Module) -> bool:
    return (
        module.name.endswith(".repository")
        or module.name in QUERY_MODULES
        or module.name.startswith(INFRASTRUCTURE)
    )


def queries_in(module: Module) -> list[str]:
    found = []
    for node in ast.walk(module.tree):
        where = f"{module.where}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sqlalchemy"):
            names = {alias.name for alias in node.names} & SQLALCHEMY_QUERY_BUILDERS
            found += [f"{where} imports sqlalchemy's {name}()" for name in sorted(names)]
        elif isinstance(node, ast.Call):
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            if name == "Sql":
                found.append(f"{where} defines a statement")
            elif isinstance(func, ast.Attribute) and name in ("execute", "exec_driver_sql", "get"):
                owner = func.value
                if isinstance(owner, ast.Name) and owner.id in ("session", "connection", "cursor"):
                    found.append(f"{where} runs {owner.id}.{name}()")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and PLAIN_SQL.match(node.value):
            found.append(f"{where} holds plain SQL {node.value.split()[0]!r}")
    return found


def test_queries_are_only_in_repositories() -> None:
    offenders = [line for module in modules() if not may_query(module) for line in queries_in(module)]
    assert offenders == [], (
        "Statements belong in the owning package's repository.py (the queue's in outbox/queue.py), "
        "as Sql constants:\n" + "\n".join(offenders)
    )


def test_the_check_sees_each_kind_of_query() -> None:
    source = '''
from sqlalchemy import select, text
X = Sql("SELECT 1 FROM t")
session.execute(q)
session.get(Model, 1)
cursor.execute("x")
Y = """  select id from customers"""
'''
    module = Module("studio_comms.web.example", modules()[0].path, ast.parse(source))
    found = {line.split(" ", 1)[1] for line in queries_in(module)}
    assert found == {
        "imports sqlalchemy's select()",
        "imports sqlalchemy's text()",
        "defines a statement",
        "holds plain SQL 'SELECT'",
        "runs session.execute()",
        "runs session.get()",
        "runs cursor.execute()",
        "holds plain SQL 'select'",
    }
