"""Every statement on a studio-owned table is scoped to one studio, unless it says why not (and is
in one of the few modules that may read across studios)."""

from __future__ import annotations

import importlib

import pytest

from studio_comms.db.sql import REGISTRY, Sql
from studio_comms.schema import METADATA
from tests.architecture.source import modules
from tests.architecture.tenancy import unscoped_tables

# The cross-studio readers: authentication (the key names its studio), the worker's queue and the
# operators' view of it, and creating a studio (it has no id yet).
CROSS_STUDIO_MODULES = {
    "studio_comms.apikeys.repository",
    "studio_comms.outbox.queue",
    "studio_comms.outbox.stats",
    "studio_comms.studios.repository",
}


def owned_tables() -> set[str]:
    return {table.name for table in METADATA.sorted_tables if "studio_id" in table.c} | {"studios"}


def all_statements() -> list[Sql]:
    for module in modules():
        if not module.name.startswith("studio_comms.migrations"):
            importlib.import_module(module.name)
    # Tests define statements of their own; only the service's count.
    return [sql for sql in REGISTRY if sql.module.startswith("studio_comms.")]


def test_every_statement_on_a_studio_owned_table_is_scoped_to_one_studio() -> None:
    owned = owned_tables()
    offenders = [
        f"{sql.module}: {', '.join(tables)} in {sql.text!r}"
        for sql in all_statements()
        if sql.cross_studio is None and (tables := unscoped_tables(sql.text, owned))
    ]
    assert offenders == [], (
        "Filter by studio_id = :studio_id (a StudioScoped repository passes it), or join on studio_id "
        "to a table that is:\n" + "\n".join(offenders)
    )


def test_only_the_allowed_modules_read_across_studios() -> None:
    offenders = [
        f"{sql.module}: {sql.text!r}"
        for sql in all_statements()
        if sql.cross_studio is not None and sql.module not in CROSS_STUDIO_MODULES
    ]
    assert offenders == [], "Cross-studio statements outside the allowed modules:\n" + "\n".join(offenders)


def test_the_statements_were_found() -> None:
    """Guards the two tests above against an empty registry."""
    modules_with_statements = {sql.module for sql in all_statements()}
    assert {
        "studio_comms.preferences.repository",
        "studio_comms.communications.repository",
    } <= modules_with_statements


OWNED = {"customers", "customer_channel_choices", "studio_channel_settings", "outbox", "studios"}


@pytest.mark.parametrize(
    ("sql", "unscoped"),
    [
        ("SELECT 1 FROM customers WHERE studio_id = :studio_id AND customer_id = :c", []),
        ("SELECT 1 FROM customers WHERE customer_id = :c", ["customers"]),
        ("SELECT 1 FROM customers WHERE studio_id = :other AND customer_id = :c", ["customers"]),
        ("SELECT 1 FROM customers WHERE studio_id = :studio_id OR customer_id = :c", []),
        (
            "SELECT 1 FROM customers cu JOIN customer_channel_choices c ON c.customer_id = cu.customer_id "
            "WHERE cu.studio_id = :studio_id",
            ["customer_channel_choices"],
        ),
        (
            "SELECT 1 FROM customers cu JOIN customer_channel_choices c ON c.studio_id = cu.studio_id "
            "WHERE cu.studio_id = :studio_id",
            [],
        ),
        ("UPDATE customers SET link_epoch = 1 WHERE customer_id = :c", ["customers"]),
        ("DELETE FROM studio_channel_settings WHERE studio_id = :studio_id", []),
        ("INSERT INTO outbox (kind, studio_id) VALUES (:kind, :studio_id)", []),
        ("INSERT INTO outbox (kind, studio_id) VALUES (:kind, :other)", ["outbox"]),
        ("INSERT INTO outbox (kind) VALUES (:kind)", ["outbox"]),
        ("SELECT name FROM studios WHERE id = :studio_id", []),
        ("SELECT name FROM studios WHERE name = :name", ["studios"]),
        ("SELECT id FROM webhook_attempts WHERE delivery_id = :id", []),
        (
            "UPDATE outbox SET a = 1 WHERE id IN (SELECT id FROM outbox WHERE studio_id = :studio_id)",
            ["outbox"],
        ),
    ],
)
def test_the_check_tells_scoped_from_unscoped(sql: str, unscoped: list[str]) -> None:
    assert unscoped_tables(sql, OWNED) == unscoped
