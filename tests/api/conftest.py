"""Fixtures of the request-path tests."""

from __future__ import annotations

from typing import Any

import fastapi.routing
import pytest


@pytest.fixture
def solver_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each call of FastAPI's dependency solver, by path: which requests FastAPI served (the fast
    lane, ``api.hot``, serves without it)."""
    calls: list[str] = []
    original = fastapi.routing.solve_dependencies

    async def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["request"].url.path)
        return await original(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counting)
    return calls
