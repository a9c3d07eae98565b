"""Who may import whom: each package owns its tables, ``core`` and ``db`` are the bottom layers,
and no two packages depend on each other (ARCHITECTURE.md, "Rules")."""

from __future__ import annotations

from tests.architecture.source import Module, imports, modules, package_of

# ``core`` is shared by everything, so it may build only on these.
CORE_MAY_IMPORT = {"core", "db", "settings"}
DB_MAY_IMPORT = {"db"}
# Gathering every table for the migrations is their one purpose.
MAY_READ_ANY_MODELS = {"studio_comms.schema"}
OWNED_INTERNALS = ("models", "repository")


def foreign_internals(module: Module) -> list[str]:
    """Imports of another package's ``models`` or ``repository``: ask its service instead."""
    found = []
    for name, line in imports(module):
        parts = name.split(".")
        if len(parts) >= 3 and parts[2] in OWNED_INTERNALS and parts[1] != module.package:
            found.append(f"{module.where}:{line} imports {name}")
    return found


def layer_breaches(module: Module, allowed: set[str]) -> list[str]:
    return [
        f"{module.where}:{line} imports {name}"
        for name, line in imports(module)
        if package_of(name) not in allowed
    ]


def package_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle's packages (Tarjan's strongly connected components of size > 1)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return cycles


def package_edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for module in modules():
        for name, _ in imports(module):
            target = package_of(name)
            if target not in (module.package, "studio_comms"):
                edges.setdefault(module.package, set()).add(target)
    return edges


def test_no_package_reads_another_packages_tables_or_repository() -> None:
    offenders = [
        line
        for module in modules()
        if module.name not in MAY_READ_ANY_MODELS
        for line in foreign_internals(module)
    ]
    assert offenders == [], (
        "Only the owning package touches its models and repository; call its service instead:\n"
        + "\n".join(offenders)
    )


def test_core_imports_only_db_and_settings() -> None:
    offenders = [
        line
        for module in modules()
        if module.package == "core"
        for line in layer_breaches(module, CORE_MAY_IMPORT)
    ]
    assert offenders == [], (
        "core/ is the bottom layer for every domain: it may import only core, db and settings. Pass what "
        "it needs in (as the API's Runtime does) instead:\n" + "\n".join(offenders)
    )


def test_db_imports_nothing_of_the_domains() -> None:
    offenders = [
        line
        for module in modules()
        if module.package == "db"
        for line in layer_breaches(module, DB_MAY_IMPORT)
    ]
    assert offenders == [], "db/ knows no domain (the tables are gathered in schema.py):\n" + "\n".join(
        offenders
    )


def test_packages_do_not_depend_on_each_other_in_a_circle() -> None:
    cycles = package_cycles(package_edges())
    assert cycles == [], (
        "These packages import each other (directly or around a circle); move the shared use case "
        f"above them (as admin/onboarding.py does) or the shared piece below them: {cycles}"
    )


# -- the checks themselves, on broken examples -------------------------------------------------


def test_a_cycle_is_found() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert package_cycles(edges) == [["a", "b", "c"]]
    assert package_cycles({"a": {"b"}, "b": {"c"}}) == []
