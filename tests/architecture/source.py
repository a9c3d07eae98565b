"""Reading the source tree: modules, their packages and what they import (no code is run)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "studio_comms"
SRC = ROOT / PACKAGE


@dataclass(frozen=True)
class Module:
    name: str  # studio_comms.preferences.service
    path: Path
    tree: ast.Module

    @property
    def package(self) -> str:
        """The top-level part it belongs to: ``preferences``, or ``main`` for a top-level module."""
        return package_of(self.name)

    @property
    def where(self) -> str:
        return str(self.path.relative_to(ROOT.parent))


@cache
def modules() -> tuple[Module, ...]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "versions" in path.parts:  # migration scripts describe the schema's history
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found.append(Module(name, path, ast.parse(path.read_text(), str(path))))
    return tuple(found)


def _is_module(name: str) -> bool:
    relative = Path(*name.split("."))
    return (ROOT / relative).with_suffix(".py").exists() or (ROOT / relative / "__init__.py").exists()


def imports(module: Module) -> list[tuple[str, int]]:
    """The studio_comms modules ``module`` imports, with the line of each import."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names if alias.name.startswith(PACKAGE)]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE):
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.append((candidate if _is_module(candidate) else node.module, node.lineno))
    return found


def package_of(module_name: str) -> str:
    return module_name.split(".")[1] if "." in module_name else module_name
