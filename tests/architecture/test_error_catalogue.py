"""Every error a client can get has its text in English and German (clients branch on errorCode,
people read errorMessage)."""

from __future__ import annotations

import ast
import importlib

from studio_comms.core.errors import AppError
from studio_comms.core.messages import CATALOGUE, SUPPORTED_LANGUAGES
from tests.architecture.source import modules


def error_classes() -> list[type[AppError]]:
    for module in modules():
        if not module.name.startswith("studio_comms.migrations"):
            importlib.import_module(module.name)
    found: list[type[AppError]] = []
    pending = [AppError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def message_keys_raised() -> set[tuple[str, str]]:
    """``message_key="…"`` given where an error is raised, with where."""
    keys = set()
    for module in modules():
        for node in ast.walk(module.tree):
            if (
                isinstance(node, ast.keyword)
                and node.arg == "message_key"
                and isinstance(node.value, ast.Constant)
            ):
                keys.add((str(node.value.value), module.where))
    return keys


def missing(keys: set[tuple[str, str]]) -> list[str]:
    return sorted(
        f"{key} ({where}): no {language} text"
        for key, where in keys
        for language in SUPPORTED_LANGUAGES
        if language not in CATALOGUE.get(key, {})
    )


def test_every_error_code_has_english_and_german_text() -> None:
    keys = {(cls.message_key or cls.error_code, cls.__module__) for cls in error_classes()}
    assert missing(keys) == [], "Add the texts to core/messages.py"


def test_every_message_key_raised_has_english_and_german_text() -> None:
    assert missing(message_keys_raised()) == [], "Add the texts to core/messages.py"


def test_the_check_finds_a_missing_text() -> None:
    assert missing({("NOBODY_WROTE_THIS", "here")}) == [
        "NOBODY_WROTE_THIS (here): no de text",
        "NOBODY_WROTE_THIS (here): no en text",
    ]
