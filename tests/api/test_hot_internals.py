"""What ``api.hot`` reads of FastAPI and Starlette, exercised exactly: a release that changes any
of it fails here, loudly, instead of the fast lane answering differently from FastAPI.

pyproject.toml bounds FastAPI and Starlette to the versions the lane was tested with; moving a
bound means running this file (and ``test_lane_parity.py``) against the new version first.
"""

from __future__ import annotations

import tomllib
from dataclasses import fields
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Body, Depends, FastAPI, Header, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from packaging.requirements import Requirement
from pydantic import BaseModel
from starlette.responses import Response

from studio_comms.api import hot
from studio_comms.api.hot import FAST_CONTEXT, plan_hot_routes

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


class Item(BaseModel):
    name: str


def context(request: Request) -> str:
    return "slow"


def _fast(request: Request) -> str | None:
    return "fast" if request.headers.get("x-fast") else None


setattr(context, FAST_CONTEXT, _fast)
router = APIRouter()


@router.put("/items/{itemId}")
@hot.hot
async def put_item(
    itemId: int,
    body: Annotated[list[Item], Body()],
    ctx: Annotated[str, Depends(context)],
    note: Annotated[str | None, Header(alias="X-Note")] = None,
) -> Response:
    return Response(b"ok")


@pytest.mark.parametrize("package", ["fastapi", "starlette"])
def test_the_installed_versions_are_the_ones_the_lane_was_tested_with(package: str) -> None:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    requirement = next(Requirement(d) for d in dependencies if Requirement(d).name == package)
    assert any(spec.operator == "<" for spec in requirement.specifier), f"{package} needs an upper bound"
    assert version(package) in requirement.specifier, (package, version(package), str(requirement))


def test_the_dependant_has_the_fields_a_plan_reads() -> None:
    names = {field.name for field in fields(Dependant)}
    read = {"path_params", "query_params", "header_params", "cookie_params", "body_params", "dependencies"}
    assert read | {"name", "call", *hot._SPECIAL_PARAMS} <= names


def test_a_plan_is_made_of_fastapis_own_fields_and_validates_as_they_do() -> None:
    app = FastAPI()
    app.router.routes.extend(router.routes)
    route = next(r for r in app.routes if isinstance(r, APIRoute))
    plan = plan_hot_routes([route])[id(route)]
    (path,) = plan.path
    assert (path.name, path.alias) == ("itemId", "itemId")
    assert path.field.validate("12") == (12, [])
    value, errors = path.field.validate("01x")
    assert value is None
    assert errors
    assert errors[0]["type"] == "int_parsing"
    (header,) = plan.headers
    assert (header.name, header.alias) == ("note", "X-Note")
    assert header.field.get_default() is None
    assert not header.field.field_info.is_required()
    assert plan.body is not None
    assert plan.body.name == "body"
    items, errors = plan.body.field.validate([{"name": "a"}])
    assert errors == []
    assert items == [Item(name="a")]
    assert plan.body.field.validate([{"name": 1}])[1]
    assert plan.contexts == (("ctx", _fast),)


def test_starlettes_route_matching_is_what_the_lane_repeats() -> None:
    app = FastAPI()
    app.router.routes.extend(router.routes)
    route = next(r for r in app.routes if isinstance(r, APIRoute))
    match = route.path_regex.match("/items/42")
    assert match is not None
    assert match.groupdict() == {"itemId": "42"}
    assert route.param_convertors["itemId"].convert("42") == "42"
    assert route.methods == {"PUT"}


def test_fastapis_router_sets_the_scope_keys_the_lane_sets() -> None:
    """``HotPaths`` sets ``route``, ``endpoint`` and ``path_params`` as FastAPI's router does: what
    ``core.units`` and the rate limiter read of a request must not depend on the lane."""
    captured: dict[str, Any] = {}
    app = FastAPI()

    @app.get("/scope/{itemId}")
    async def scope_of(itemId: int, request: Request) -> Response:
        captured.update(request.scope)
        return Response(b"ok")

    with TestClient(app) as client:
        assert client.get("/scope/7").status_code == 200
    assert captured["route"].path == "/scope/{itemId}"
    assert captured["endpoint"] is scope_of
    assert captured["path_params"] == {"itemId": "7"}
