"""Where a route's units of work run: declared once, on the route, and read by every entry point.

A route's endpoint carries its declaration (``@runs(Runs.LOOP)``); the request's scope names the
endpoint (both lanes set ``scope["endpoint"]``), so ``ApiContext``, ``AdminContext``, member pages
and provider callbacks all open their units through ``Runtime.unit_of_work`` with the route's
declaration, never with a flag of their own at each call site. A route that declares nothing
runs its units on a database thread.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

from starlette.types import Scope

_DECLARED = "__studio_comms_runs__"
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


class Runs(Enum):
    # A few statements on a bounded handful of rows: on SQLite the unit runs on the event loop
    # itself (cheaper than the hop to a thread and back), each read statement on its own
    # snapshot; one that would wait for a lock runs again on a thread (``WouldWait``). PostgreSQL's
    # round trips would stall the loop: there it runs on a thread as any other.
    LOOP = "loop"
    # Anything that may touch many rows or wait: always on a database thread.
    THREAD = "thread"


def runs(where: Runs) -> Callable[[Endpoint], Endpoint]:
    """Declares where the endpoint's units of work run (put it below the route decorator)."""

    def declare(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _DECLARED, where)
        return endpoint

    return declare


def runs_on_loop(scope: Scope) -> bool:
    """Whether the route serving ``scope`` declared ``Runs.LOOP`` (undeclared: ``Runs.THREAD``);
    asked on every request, so kept cheap."""
    return getattr(scope.get("endpoint"), _DECLARED, None) is _LOOP


# Read once: an enum member's attribute access costs a descriptor call on Python 3.11.
_LOOP = Runs.LOOP
