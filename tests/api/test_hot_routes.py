"""``api.hot``: the common request of a hot route skips FastAPI's dependency solver, and every
request it cannot vouch for goes to FastAPI's handler, which answers exactly as before."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.responses import Response

from studio_comms.api import ops
from studio_comms.api.context import ApiContext, api_reader
from studio_comms.api.hot import HotRouteNotPlannable, hot, plan_hot_routes
from studio_comms.db.database import Database
from studio_comms.main import create_app
from studio_comms.settings import Settings
from tests.conftest import FixedClock
from tests.factories import World

Reader = Annotated[ApiContext, Depends(api_reader(None))]
PREFS = "/v1/communications/1/communication-preferences"
OPT_IN = [{"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}]
THREAD = {
    "communicationThreadStatus": "ONGOING",
    "subject": "Hello",
    "content": "Hi",
    "communicationDirection": "INCOMING",
    "communicationChannel": "EMAIL",
    "communicationDateTime": "2026-01-01T10:00:00Z",
}


def test_the_common_requests_skip_the_solver(api: TestClient, solver_calls: list[str]) -> None:
    assert api.get(PREFS).status_code == 200
    assert api.put(PREFS, json=OPT_IN).json() == api.get(PREFS).json()
    created = api.post("/v1/communications/1/threads", json=THREAD)
    assert created.status_code == 200, created.text
    thread = created.json()["threadId"]
    appended = api.put(
        f"/v1/communications/1/threads/{thread}", json=THREAD, headers={"Idempotency-Key": "k-1"}
    )
    assert appended.status_code == 200, appended.text
    assert solver_calls == []


@pytest.mark.parametrize("customer", ["01", "+1", "1.0", "x", "9223372036854775808", "\uff10"])
def test_an_id_the_fields_refuse_is_answered_by_fastapi_as_before(
    api: TestClient, solver_calls: list[str], customer: str
) -> None:
    answer = api.get(f"/v1/communications/{customer}/communication-preferences")
    assert answer.status_code == 400
    assert answer.json()["errorCode"] == "VALIDATION_FAILED"
    assert answer.json()["reference"] == "customerId"
    assert solver_calls == [f"/v1/communications/{customer}/communication-preferences"]


def test_a_body_the_field_refuses_is_answered_by_fastapi_naming_the_field(
    api: TestClient, solver_calls: list[str]
) -> None:
    wrong = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": "yes"}]}
    ]
    answer = api.put(PREFS, json=wrong)
    assert answer.status_code == 400
    assert answer.json()["errorCode"] == "VALIDATION_FAILED"
    assert "active" in answer.json()["reference"]
    assert len(solver_calls) == 1
    # Not JSON at all: FastAPI's handler refuses it while reading the body, before its solver.
    not_json = api.put(PREFS, content=b"[{", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400
    assert not_json.json()["errorCode"] == "MALFORMED_JSON"


def test_a_missing_key_an_extension_header_or_a_bad_idempotency_key_go_the_regular_way(
    api: TestClient, solver_calls: list[str]
) -> None:
    assert api.get(PREFS, headers={"X-API-KEY": ""}).status_code == 401  # no key
    recorded = api.post(
        "/v1/communications/1/threads", json=THREAD, headers={"Consent-Enforcement": "REJECT"}
    )
    assert recorded.status_code == 200  # INCOMING: never refused, the header read by FastAPI
    too_long = api.put(PREFS, json=OPT_IN, headers={"Idempotency-Key": "k" * 300})
    assert too_long.status_code == 400
    assert too_long.json()["reference"] == "Idempotency-Key"
    assert len(solver_calls) == 3


def test_the_hot_routes_are_planned_when_the_app_is_made(settings: Settings) -> None:
    app = create_app(settings)
    planned = {
        (route.path, method)
        for route in app.routes
        if isinstance(route, APIRoute) and id(route) in plan_hot_routes([route])
        for method in route.methods
    }
    assert planned == {
        ("/v1/communications/{customerId}/communication-preferences", "GET"),
        ("/v1/communications/{customerId}/communication-preferences", "PUT"),
        ("/v1/communications/{customerId}/threads", "POST"),
        ("/v1/communications/{customerId}/threads/{threadId}", "PUT"),
        ("/v1/communications/{customerId}/threads/{threadId}", "POST"),
        ("/v1/communications/{customerId}/threads/{threadId}", "GET"),
    }


def test_a_hot_route_that_cannot_be_planned_stops_the_start_naming_it_and_why(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Query parameters are FastAPI's to read: a route marked hot with one cannot be planned."""
    unplannable = APIRouter()

    @unplannable.get("/v1/unplannable/{customerId}")
    @hot
    async def with_a_query(customerId: int, ctx: Reader, sliceSize: int = 10) -> Response:
        raise AssertionError("never called")

    monkeypatch.setattr(ops.bench_router, "routes", [*ops.bench_router.routes, *unplannable.routes])
    with pytest.raises(HotRouteNotPlannable) as refused:
        create_app(settings.model_copy(update={"enable_bench_routes": True}))
    assert str(refused.value) == (
        "['GET'] /v1/unplannable/{customerId} is marked hot but cannot be planned: "
        "query and cookie parameters are FastAPI's to read"
    )


def test_an_operator_turns_the_lane_off_with_studio_comms_hot_paths_off(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    db: Database,
    world: World,
    clock: FixedClock,
    solver_calls: list[str],
) -> None:
    monkeypatch.setenv("STUDIO_COMMS_HOT_PATHS", "off")
    settings = Settings(database_url=database_url)
    assert settings.hot_paths is False
    app = create_app(settings, database=db, clock=clock)
    with TestClient(app, headers={"X-API-KEY": world.key_a}) as client:
        assert client.get(PREFS).status_code == 200
    assert solver_calls == [PREFS]  # FastAPI served it
