"""Each package owns its tables: its statements touch only them (read with sqlglot, as
``test_tenancy`` reads them), and the few that must read another package's table say why here."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

import studio_comms.schema  # noqa: F401  (every table's model, mapped)
from studio_comms.db.base import Base
from tests.architecture.source import package_of
from tests.architecture.test_tenancy import all_statements

# (module, another package's table it reads): why.
FOREIGN_TABLES = {
    ("studio_comms.preferences.repository", "customers"): (
        "a decision's one statement also says whether the customer exists: the hottest read "
        "(GET preferences) stays one round trip"
    ),
}


def table_owners() -> dict[str, str]:
    """Table name -> the package whose models.py declares it."""
    return {mapper.local_table.name: package_of(mapper.class_.__module__) for mapper in Base.registry.mappers}


def tables_of(text: str) -> set[str]:
    return {table.name for table in sqlglot.parse_one(text, read="postgres").find_all(exp.Table)}


def test_statements_touch_only_their_own_packages_tables() -> None:
    owners = table_owners()
    offenders = [
        f"{sql.module} touches {table} (owned by {owners.get(table, 'no package')}): {sql.text}"
        for sql in all_statements()
        for table in sorted(tables_of(sql.text))
        if owners.get(table) != package_of(sql.module) and (sql.module, table) not in FOREIGN_TABLES
    ]
    assert offenders == [], (
        "A package's statements touch only the tables its models.py declares. Ask the owning "
        "package's service instead, or, if one statement must span both (say why), add it to "
        "FOREIGN_TABLES in this test:\n" + "\n".join(offenders)
    )


def test_every_named_exception_is_still_needed() -> None:
    owners = table_owners()
    used = {
        (sql.module, table)
        for sql in all_statements()
        for table in tables_of(sql.text)
        if owners.get(table) != package_of(sql.module)
    }
    assert set(FOREIGN_TABLES) <= used, f"No longer needed, remove: {sorted(set(FOREIGN_TABLES) - used)}"


def test_every_table_has_an_owner() -> None:
    owners = table_owners()
    assert {table.name for table in Base.metadata.sorted_tables} == set(owners)
    assert owners["customers"] == "customers"
