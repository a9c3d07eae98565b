"""requestId is an alias of Idempotency-Key; concurrent creates with one key make one thread."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from studio_comms.communications.models import CommunicationThread
from studio_comms.db.database import Database
from tests.communications.helpers import THREADS, request
from tests.dbtools import orm
from tests.factories import World


def test_request_id_in_the_body_replays_like_the_header(api: TestClient) -> None:
    body = request(requestId="ticket-7-msg-1")
    first = api.post(THREADS.format(1), json=body)
    again = api.post(THREADS.format(1), json=body)
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert first.json()["requestId"] == "ticket-7-msg-1"
    assert len(api.get(THREADS.format(1)).json()["result"]) == 1


def test_header_key_is_stored_as_request_id(api: TestClient) -> None:
    answer = api.post(THREADS.format(1), json=request(), headers={"Idempotency-Key": "hdr-1"}).json()
    assert answer["requestId"] == "hdr-1"


def test_header_and_body_must_agree(api: TestClient) -> None:
    same = api.post(THREADS.format(1), json=request(requestId="k"), headers={"Idempotency-Key": "k"})
    assert same.status_code == 200
    differ = api.post(THREADS.format(1), json=request(requestId="k1"), headers={"Idempotency-Key": "k2"})
    assert differ.status_code == 400
    assert differ.json()["errorCode"] == "REQUEST_ID_MISMATCH"
    assert differ.json()["reference"] == "requestId"


def test_same_request_id_with_another_body_is_409(api: TestClient) -> None:
    api.post(THREADS.format(1), json=request(requestId="dup"))
    response = api.post(THREADS.format(1), json=request(requestId="dup", subject="other"))
    assert response.status_code == 409
    assert response.json()["errorCode"] == "IDEMPOTENCY_KEY_REUSED"


@pytest.mark.parametrize("alias", ["header", "body"])
def test_twenty_concurrent_creates_with_one_key_make_one_thread(
    live: tuple[FastAPI, World], engine: Engine, alias: str
) -> None:
    app, world = live
    body = request(requestId="concurrent-1") if alias == "body" else request()
    headers = {"X-API-KEY": world.key_a}
    if alias == "header":
        headers["Idempotency-Key"] = "concurrent-1"

    async def fire() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=60) as client:
            return await asyncio.gather(
                *(client.post(THREADS.format(1), json=body, headers=headers) for _ in range(20))
            )

    responses = asyncio.run(fire())
    assert {r.status_code for r in responses} <= {200, 409}
    applied = [r for r in responses if r.status_code == 200 and "Idempotent-Replayed" not in r.headers]
    assert len(applied) == 1
    assert all(r.json()["errorCode"] == "IDEMPOTENCY_KEY_IN_USE" for r in responses if r.status_code == 409)
    with orm(Database(engine)) as session:
        threads = session.scalar(
            select(func.count())
            .select_from(CommunicationThread)
            .where(CommunicationThread.studio_id == world.studio_a)
        )
    assert threads == 1
