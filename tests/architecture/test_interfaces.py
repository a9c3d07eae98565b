"""Each package says what the others may import from it, and nothing else is imported across
packages (ARCHITECTURE.md, "Declared interfaces").

A package's ``__init__.py`` lists its public modules in ``__all__``: what any other package may
import. ``ASSEMBLY`` lists the modules only the app's assembly imports (``main``, the CLI,
``background``, ``server``, ``schema``, the migrations): its routers, outbox handlers, tables and
wiring. Everything else is the package's own business, free to change without looking outside.
"""

from __future__ import annotations

import ast
import importlib

from tests.architecture.source import PACKAGE, SRC, Module, imports, modules, package_of

# The top-level modules (and the migrations) that put the packages together into the app.
ASSEMBLERS = {
    "main", "cli", "cli_secrets", "cli_studios", "cli_worker", "background", "server", "demo", "schema",
    "migrations", "settings", "studio_comms",
}  # fmt: skip


def packages() -> list[str]:
    return sorted(path.parent.name for path in SRC.glob("*/__init__.py") if path.parent.name != "migrations")


def declared(package: str) -> tuple[set[str], set[str]]:
    """(``__all__``, ``ASSEMBLY``) of ``package``."""
    init = importlib.import_module(f"{PACKAGE}.{package}")
    return set(getattr(init, "__all__", ())), set(getattr(init, "ASSEMBLY", ()))


def undeclared_imports(module: Module) -> list[str]:
    found = []
    for name, line in imports(module):
        parts = name.split(".")
        target = package_of(name)
        if target == module.package or target not in packages():
            continue
        imported = parts[2] if len(parts) > 2 else None
        public, assembly = declared(target)
        allowed = public | assembly if module.package in ASSEMBLERS else public
        if imported is None or imported not in allowed:
            found.append(f"{module.where}:{line} imports {name}")
    return found


def test_packages_import_from_each_other_only_what_each_declares() -> None:
    offenders = [line for module in modules() for line in undeclared_imports(module)]
    assert offenders == [], (
        "These imports reach into another package past what it offers. Import from its public "
        "modules (__all__ in its __init__.py; the app's assembly may also use ASSEMBLY), or, if the "
        "package means to offer that module, add it there and say so in its docstring:\n"
        + "\n".join(offenders)
    )


def test_every_package_declares_its_interface_and_only_modules_it_has() -> None:
    problems = []
    for package in packages():
        init = importlib.import_module(f"{PACKAGE}.{package}")
        if not hasattr(init, "__all__"):
            problems.append(f"{package}/__init__.py has no __all__ (write [] if it offers nothing)")
            continue
        public, assembly = declared(package)
        for name in sorted(public | assembly):
            path = SRC / package / name
            if not (path.with_suffix(".py").exists() or (path / "__init__.py").exists()):
                problems.append(f"{package}/__init__.py declares {name!r}, which is not a module of it")
        problems += [
            f"{package}/__init__.py offers its {name!r} to every package: only the assembly reads "
            "models (list it in ASSEMBLY), and a repository is never offered (offer a service)"
            for name in sorted(public & {"models", "repository"})
        ]
        if "repository" in assembly:
            problems.append(f"{package}/__init__.py offers its repository: offer a service instead")
    assert problems == [], "\n".join(problems)


def relative_imports_across_packages(module: Module) -> list[str]:
    found = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            base = module.name.split(".")
            # A module's own package is one level up, unless the module is a package's __init__.
            is_package = module.path.name == "__init__.py"
            anchor = base if is_package else base[:-1]
            target = anchor[: len(anchor) - (node.level - 1)] + ([node.module] if node.module else [])
            if package_of(".".join(target)) != module.package or len(target) < 2:
                found.append(f"{module.where}:{node.lineno} imports {'.' * node.level}{node.module or ''}")
    return found


def test_no_relative_import_reaches_another_package() -> None:
    offenders = [line for module in modules() for line in relative_imports_across_packages(module)]
    assert offenders == [], (
        "Import other packages by their absolute name (from studio_comms.<package>.<module> import …), "
        "so the interface checks above see it:\n" + "\n".join(offenders)
    )


# -- the checks themselves, on examples ---------------------------------------------------------


def test_the_checks_see_undeclared_and_relative_imports() -> None:
    source = (
        "from studio_comms.preferences import service\n"
        "from studio_comms.preferences.repository import PreferencesRepository\n"
        "from studio_comms.webhooks import handlers\n"
        "from ..preferences import rules\n"
        "from .local import x\n"
    )
    module = Module("studio_comms.messages.example", SRC / "messages" / "example.py", ast.parse(source))
    assert [line.split(" ", 1)[1] for line in undeclared_imports(module)] == [
        "imports studio_comms.preferences.repository",
        "imports studio_comms.webhooks.handlers",
    ]
    assert [line.split(" ", 1)[1] for line in relative_imports_across_packages(module)] == [
        "imports ..preferences"
    ]
    assembly = Module("studio_comms.background", SRC / "background.py", ast.parse(source))
    assert [line.split(" ", 1)[1] for line in undeclared_imports(assembly)] == [
        "imports studio_comms.preferences.repository"
    ]
