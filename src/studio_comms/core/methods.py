"""The methods a path answers: the ``Allow`` header of a 405 and of ``OPTIONS`` (RFC 9110 §10.2.1).

Starlette's 405 names only the methods of the first route whose path matched; a path served by
several routes (GET and PUT of the preferences) must list all of them. Each method is asked of
the router the way a request would be, so included routers and catch-all routes count as served.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Match
from starlette.types import Scope

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Answered on any /v1 path (the key check) or any path at all: they do not make a path exist.
_ANY_PATH = {"HEAD", "OPTIONS"}


def allowed_methods(routes: list[BaseRoute], scope: Scope) -> list[str]:
    """Every method some route answers on the request's path; empty when no route serves it."""
    allowed = [method for method in _METHODS if _served(routes, {**scope, "method": method})]
    return allowed if set(allowed) - _ANY_PATH else []


def allow_header(routes: list[BaseRoute], scope: Scope) -> str:
    return ", ".join(allowed_methods(routes, scope))


def _served(routes: list[BaseRoute], scope: Scope) -> bool:
    return any(route.matches(scope)[0] is Match.FULL for route in routes)
