"""Where a unit of work runs is declared once, on the route (``core.units``): HTTP entry points
open their units through ``Runtime.unit_of_work(scope, …)``, never on the loop or a thread of
their own choosing (ARCHITECTURE.md, "The request path")."""

from __future__ import annotations

import ast

from tests.architecture.source import modules

# Who may call what: the database's loop connection and the thread hop are the runtime's.
ALLOWED = {
    "on_loop": {"studio_comms.db.database"},
    # Readiness pings the database: no unit of work, no route's declaration to follow.
    "in_db_thread": {"studio_comms.core.runtime", "studio_comms.api.ops"},
}


def test_units_run_where_the_route_declares_and_nowhere_else() -> None:
    offenders = []
    for module in modules():
        for node in ast.walk(module.tree):
            if not isinstance(node, ast.Call):
                continue
            called = node.func.attr if isinstance(node.func, ast.Attribute) else None
            if called in ALLOWED and module.name not in ALLOWED[called]:
                offenders.append(f"{module.where}:{node.lineno} calls .{called}(): use Runtime.unit_of_work")
            offenders += [
                f"{module.where}:{node.lineno} passes quick=: declare @runs(Runs.LOOP) on the route"
                for keyword in node.keywords
                if keyword.arg == "quick"
            ]
    assert offenders == []
