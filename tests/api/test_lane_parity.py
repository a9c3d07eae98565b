"""The fast lane cannot answer differently from FastAPI: one corpus of requests, sent to an app with
``api.hot`` on and to one with it off (``STUDIO_COMMS_HOT_PATHS=off``), each on a database of its
own seeded the same way, answers byte for byte the same — status, the headers that matter, body.

Request ids are sent by the client (``X-Request-Id``), so ``traceId`` needs no normalising; only
the seconds a 429 says are left in the real clock's window (``Retry-After`` and the message) are
left out of the comparison.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import orjson
import pytest
from fastapi import APIRouter, Depends, HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.responses import Response

from studio_comms.api import ops
from studio_comms.api.context import ApiContext, api_reader
from studio_comms.api.hot import hot
from studio_comms.core.auth import Scope
from studio_comms.customers.errors import CustomerNotFound
from studio_comms.db import errors as db_errors
from studio_comms.db.database import Database
from studio_comms.db.engine import make_engine
from studio_comms.main import create_app
from studio_comms.settings import Settings
from studio_comms.studios.schemas import ConsentEnforcement, StudioUpdate
from studio_comms.studios.service import update_studio
from tests.conftest import ADMIN_TOKEN, FixedClock
from tests.databases import fresh_database
from tests.factories import World, make_key, make_world
from tests.wire import THREAD

RATE_LIMIT = 25  # per key and endpoint, for a day: the corpus stays under it but for one key
PREFS = "/v1/communications/{c}/communication-preferences"
EMAIL = {"communicationChannel": "EMAIL", "active": True}
OPT_IN = [{"messageCategory": "NEWSLETTER", "channels": [EMAIL]}]
PERMISSION_QUERY = "messageCategory=NEWSLETTER&communicationChannel=EMAIL"
OUTGOING_NEWSLETTER = {**THREAD, "communicationDirection": "OUTGOING", "messageCategory": "NEWSLETTER"}

# What an endpoint of either lane may raise, rendered by one function (core.handlers.answer).
RAISED: dict[str, Callable[[], Exception]] = {
    "app-error": lambda: CustomerNotFound(reference="customerId"),
    "http-404": lambda: HTTPException(404),
    "http-409": lambda: HTTPException(409, headers={"X-Why": "because"}),
    "http-418": lambda: HTTPException(418),
    "validation": lambda: RequestValidationError(
        [{"type": "missing", "loc": ("body", "subject"), "msg": "Field required", "input": None}]
    ),
    "db-unavailable": lambda: db_errors.DatabaseUnavailable("planted"),
    "db-conflict": lambda: db_errors.ConstraintViolation("planted"),
    "db-refused": lambda: db_errors.ValueRefused("planted"),
    "bug": lambda: RuntimeError("planted"),
}
raising = APIRouter()
Reader = Annotated[ApiContext, Depends(api_reader(None))]


@raising.get("/lane-parity/raise/{kind}")
@hot
async def raise_kind(kind: str, ctx: Reader) -> Response:
    """A hot route (planned, so served by ``HotPaths`` with the lane on) raising what it is told."""
    raise RAISED[kind]()


@dataclass(frozen=True)
class Keys:
    a: str
    b: str  # studio B, whose consent enforcement is REJECT
    read_only: str
    limited: str  # the one key sent past the rate limit


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    key: str | None
    headers: dict[str, str]
    body: bytes | None = None

    def send(self, client: TestClient, index: int) -> Any:
        headers = {"X-Request-Id": f"parity-{index:04d}", **self.headers}
        if self.key is not None:
            headers["X-API-KEY"] = self.key
        if self.body is not None:
            headers.setdefault("Content-Type", "application/json")
        return client.request(self.method, self.path, headers=headers, content=self.body)


def _json(value: Any) -> bytes:
    return orjson.dumps(value)


def corpus(world: World, keys: Keys) -> list[Call]:
    a, b = keys.a, keys.b
    prefs = PREFS.format(c=1)
    threads = "/v1/communications/1/threads"
    calls = [
        Call("GET", prefs, a, {}),
        Call("GET", prefs, a, {"Accept-Language": "de"}),
        Call("GET", PREFS.format(c=99), a, {}),
        Call("GET", PREFS.format(c=world.only_in_b), a, {"Accept-Language": "de"}),
        *(Call("GET", PREFS.format(c=bad), a, {}) for bad in ("01", "x", "-1", "9223372036854775808")),
        Call("GET", prefs, None, {}),
        Call("GET", prefs, "sck_wrong", {}),
        Call("PUT", prefs, keys.read_only, {}, _json(OPT_IN)),
        Call("GET", prefs, keys.read_only, {}),
        Call("PUT", prefs, a, {}, _json(OPT_IN)),
        Call("PUT", prefs, a, {"Idempotency-Key": "parity-1"}, _json(OPT_IN)),
        Call("PUT", prefs, a, {"Idempotency-Key": "parity-1"}, _json(OPT_IN)),  # replayed
        Call("PUT", prefs, a, {"Idempotency-Key": "parity-1"}, _json([])),  # the key reused
        Call("PUT", prefs, a, {"Idempotency-Key": "k" * 300}, _json(OPT_IN)),
        Call("PUT", prefs, a, {"Idempotency-Key": ""}, _json(OPT_IN)),
        Call("PUT", prefs, a, {}, b"[{"),
        Call("PUT", prefs, a, {}, b"{}"),
        Call("PUT", prefs, a, {}, b"null"),
        Call("PUT", prefs, a, {}, b""),
        Call("PUT", prefs, a, {}, b"\xff\xfe"),
        Call("PUT", prefs, a, {}, b"[NaN]"),
        Call("PUT", prefs, a, {}, b'[{"messageCategory": "NEWSLETTER", "channels": [], "x": "\\ud800"}]'),
        Call("PUT", prefs, a, {"Content-Type": "text/plain"}, _json(OPT_IN)),
        Call("PUT", prefs, a, {}, _json([{**OPT_IN[0], "channels": [{**EMAIL, "active": "yes"}]}])),
        Call("PUT", prefs, a, {}, _json([{"messageCategory": "UNKNOWN", "channels": []}])),
        Call("PUT", prefs, a, {}, _json(OPT_IN * 2)),  # a duplicate category
        Call("PUT", prefs, a, {}, _json([{**OPT_IN[0], "channels": [{"communicationChannel": "FAX"}]}])),
        Call("PUT", prefs, a, {}, _json([{**OPT_IN[0], "channels": [{**EMAIL, "x": "\\u0000"}]}])),
        Call("PUT", PREFS.format(c=99), a, {}, _json(OPT_IN)),
        # A suppressed channel: activating it is a consent conflict (409 CHANNEL_SUPPRESSED).
        Call("PUT", f"/admin/v1/studios/{world.studio_a}/customers/2/suppressions/EMAIL", None,
             {"Authorization": f"Bearer {ADMIN_TOKEN}"}, _json({})),
        Call("PUT", PREFS.format(c=2), a, {}, _json(OPT_IN)),
        Call("POST", "/v1/communications/1/threads", a, {}, _json(THREAD)),
        Call("POST", threads, a, {"Idempotency-Key": "parity-2"}, _json(OUTGOING_NEWSLETTER)),
        Call("POST", threads, a, {"Idempotency-Key": "parity-2"}, _json(OUTGOING_NEWSLETTER)),
        Call("POST", threads, a, {}, _json({**THREAD, "requestId": "parity-3"})),
        Call("POST", threads, a, {"Idempotency-Key": "other"}, _json({**THREAD, "requestId": "parity-4"})),
        Call("POST", threads, a, {"Consent-Enforcement": "REJECT"}, _json(OUTGOING_NEWSLETTER)),
        # Studio B refuses what the preferences do not permit: 409 COMMUNICATION_NOT_PERMITTED.
        Call("POST", threads, b, {}, _json(OUTGOING_NEWSLETTER)),
        Call("POST", threads, a, {}, _json({**THREAD, "communicationChannel": "PIGEON"})),
        Call("POST", threads, a, {}, _json({"subject": "only"})),
        Call("POST", threads, a, {}, _json({**THREAD, "communicationDateTime": "yesterday"})),
        Call("PUT", threads + "/1", a, {}, _json({**THREAD, "communicationThreadStatus": "CLOSED"})),
        Call("POST", "/v1/communications/1/threads/1", a, {}, _json(THREAD)),
        Call("PUT", "/v1/communications/2/threads/1", a, {}, _json(THREAD)),  # another customer's
        Call("PUT", "/v1/communications/1/threads/999", a, {}, _json(THREAD)),
        Call("GET", "/v1/communications/1/threads/1", a, {}),
        Call("GET", "/v1/communications/1/threads/999", a, {"Accept-Language": "de"}),
        Call("GET", "/v1/communications/1/threads/1", b, {}),  # another studio's
        Call("GET", "/v1/communications/1/threads?sliceSize=2", a, {}),
        Call("GET", PREFS.format(c=1) + "/history", a, {}),
        Call("GET", "/v1/communications/1/communication-permission?" + PERMISSION_QUERY, a, {}),
        Call("HEAD", prefs, a, {}),
        Call("HEAD", prefs, None, {}),
        Call("DELETE", prefs, a, {}),
        Call("GET", "/v1/nowhere", a, {}),
        *(Call("GET", f"/lane-parity/raise/{kind}", a, {"Accept-Language": "de"}) for kind in RAISED),
        *(Call("GET", PREFS.format(c=3), keys.limited, {}) for _ in range(RATE_LIMIT + 1)),
        Call("PUT", PREFS.format(c=3), keys.limited, {}, _json(OPT_IN)),
    ]  # fmt: skip
    return calls


def seed(database: Database, clock: FixedClock) -> tuple[World, Keys]:
    world = make_world(database, now=clock.now)
    with database.transaction() as tx:
        update_studio(tx, world.studio_b, StudioUpdate(consentEnforcement=ConsentEnforcement.REJECT))
        read_only = make_key(tx, world.studio_a, now=clock.now, scopes=[Scope.COMMUNICATION_PREFERENCES_READ])
        limited = make_key(tx, world.studio_a, now=clock.now, name="limited")
    return world, Keys(world.key_a, world.key_b, read_only, limited)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def normalised(response: Any) -> Answer:
    """A 429 says how many seconds are left in the real clock's window (header and message)."""
    limited = response.status_code == 429
    headers = []
    for name, value in response.headers.multi_items():
        if name == "retry-after" and limited:
            value = "<seconds left in the window>"
        headers.append((name, value))
    body = re.sub(rb"\d+ (seconds|Sekunden)", rb"<n> \1", response.content) if limited else response.content
    return Answer(response.status_code, headers, body)


@pytest.fixture
def raising_route(monkeypatch: pytest.MonkeyPatch) -> None:
    """The raising endpoint mounted as the bench routes are (first, behind their setting)."""
    monkeypatch.setattr(ops.bench_router, "routes", [*ops.bench_router.routes, *raising.routes])


def run_lane(
    hot_paths: bool, url: str, settings: Settings, clock: FixedClock, engine: Engine | None
) -> tuple[list[Call], list[Answer]]:
    own = engine is None
    engine = engine or make_engine(url)
    database = Database(engine)
    try:
        world, keys = seed(database, clock)
        lane_settings = settings.model_copy(
            update={
                "database_url": url,
                "hot_paths": hot_paths,
                "rate_limit": f"{RATE_LIMIT}/day",
                "enable_bench_routes": True,
            }
        )
        app = create_app(lane_settings, database=database, clock=clock)
        calls = corpus(world, keys)
        with TestClient(app, raise_server_exceptions=False) as client:
            return calls, [normalised(call.send(client, index)) for index, call in enumerate(calls)]
    finally:
        database.close()
        if own:
            engine.dispose()


@pytest.fixture
def lanes(
    migrated_database: str,
    tmp_path: Path,
    settings: Settings,
    clock: FixedClock,
    engine: Engine,
    raising_route: None,
    solver_calls: list[str],
) -> dict[str, tuple[list[Call], list[Answer], int]]:
    results: dict[str, tuple[list[Call], list[Answer], int]] = {}
    for name, hot_paths in (("on", True), ("off", False)):
        url = fresh_database(migrated_database, tmp_path / name)
        shared = engine if url == settings.database_url else None  # PostgreSQL: one database, emptied
        before = len(solver_calls)
        calls, answers = run_lane(hot_paths, url, settings, clock, shared)
        results[name] = (calls, answers, len(solver_calls) - before)
    return results


def test_both_lanes_answer_every_request_of_the_corpus_byte_for_byte_alike(
    lanes: dict[str, tuple[list[Call], list[Answer], int]],
) -> None:
    calls, on, solved_on = lanes["on"]
    _, off, solved_off = lanes["off"]
    differences = [
        f"{call.method} {call.path} {call.headers}:\n  on:  {a}\n  off: {b}"
        for call, a, b in zip(calls, on, off, strict=True)
        if a != b
    ]
    assert differences == [], "\n".join(differences)
    # The two runs took different lanes: with the lane off FastAPI resolved every /v1 request.
    assert solved_on < solved_off
    statuses = {answer.status for answer in on}
    assert {200, 400, 401, 403, 404, 405, 409, 415, 429, 500, 503} <= statuses, statuses
    assert any(("idempotent-replayed", "true") in answer.headers for answer in on)
