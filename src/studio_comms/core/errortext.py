"""What logs and stored error columns (``outbox.last_error``, a message's ``statusReason``) keep of
an unexpected error: never the values it was about.

A pydantic ``ValidationError`` quotes the input it refused (``input_value='Hello Erika, …'``): a
message's text, a member's name. Here it names the fields and the rules they broke instead; a
rule's own words can quote the value too (a validator's message), so those are left at their type.
"""

from __future__ import annotations

import traceback

from pydantic import ValidationError

# Error types whose message is ours (a validator's) and may quote what it refused.
_OWN_WORDS = {"value_error", "assertion_error"}


def describe(error: BaseException) -> str:
    if isinstance(error, ValidationError):
        problems = [
            f"{_location(problem['loc'])}: "
            + (problem["type"] if problem["type"] in _OWN_WORDS else f"{problem['msg']} ({problem['type']})")
            for problem in error.errors(include_url=False, include_input=False, include_context=False)
        ]
        return f"ValidationError of {error.title}: " + "; ".join(problems)
    return f"{type(error).__name__}: {error}"


def holds_values(error: BaseException) -> bool:
    """Whether the error's own text (and so a logged traceback's last line) may quote input."""
    return isinstance(error, ValidationError)


def origin(error: BaseException) -> str:
    """Where it was raised (``file:line in function``): a log line to find the bug by, without a traceback."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{last.filename}:{last.lineno} in {last.name}"


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(value)"
