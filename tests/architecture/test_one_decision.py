"""One consent decision: whether a member may be reached is said by ``preferences.rules`` and by no
one else (ARCHITECTURE.md, "Rules"). The proof that every entry point answers alike is the property
test (tests/preferences/test_one_decision.py); this keeps a second decision from being written:
no ``Decision`` made outside ``rules``, no module outside ``preferences`` reading a member's blocks or
treating an erasure (``ERASED``) as a case of its own, as ``messages.sending`` once did."""

from __future__ import annotations

import ast

from tests.architecture.source import modules

RULES = "studio_comms.preferences.rules"
# Where the word ERASED may appear: the decision, the suppression reasons, the member page's label
# for a block reason, and erasure's other effect (links revoked, ``preferences.blocks``).
ERASED_ALLOWED = {
    RULES,
    "studio_comms.preferences.schemas",
    "studio_comms.preferences.blocks",
    "studio_comms.web.texts",
}


def test_a_decision_is_made_only_by_the_rules() -> None:
    offenders = []
    for module in modules():
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Call) and module.name != RULES:
                called = (
                    node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
                )
                if called == "Decision":
                    offenders.append(f"{module.where}:{node.lineno} makes a Decision: ask preferences.rules")
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("blocks", "erasure")
                and not module.name.startswith("studio_comms.preferences.")
            ):
                offenders.append(
                    f"{module.where}:{node.lineno} reads .{node.attr}: "
                    "a block decides only inside preferences.rules"
                )
            erased = (isinstance(node, ast.Constant) and node.value == "ERASED") or (
                isinstance(node, ast.Attribute) and node.attr == "ERASED"
            )
            if erased and module.name not in ERASED_ALLOWED:
                offenders.append(
                    f"{module.where}:{node.lineno} names ERASED: an erasure is a block like any other, "
                    "decided by preferences.rules (State.decide, fixed_by; blocks.is_erased for links)"
                )
    assert offenders == []
