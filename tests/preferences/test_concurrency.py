"""Concurrent writes for one customer, on committed data with real connections (both databases)."""

from __future__ import annotations

import asyncio
from itertools import pairwise

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine, select

from studio_comms.db.database import Database
from studio_comms.preferences.models import ConsentLedgerEntry, CustomerChannelChoice
from tests.dbtools import orm
from tests.factories import World

PREFS = "/v1/communications/1/communication-preferences"


async def _put_all(
    app: FastAPI, key: str, bodies: list[object], headers: dict[str, str] | None = None
) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as client:
        return await asyncio.gather(
            *(client.put(PREFS, json=body, headers={"X-API-KEY": key, **(headers or {})}) for body in bodies)
        )


def _body(email: bool, text: bool) -> list[dict[str, object]]:
    return [
        {
            "messageCategory": "NEWSLETTER",
            "channels": [
                {"communicationChannel": "EMAIL", "active": email},
                {"communicationChannel": "TEXT_MESSAGE", "active": text},
            ],
        }
    ]


def test_twenty_concurrent_puts_leave_state_and_ledger_consistent(
    live: tuple[FastAPI, World], engine: Engine
) -> None:
    app, world = live
    bodies: list[object] = [_body(i % 2 == 0, i % 3 == 0) for i in range(20)]
    responses = asyncio.run(_put_all(app, world.key_a, bodies))
    assert [r.status_code for r in responses] == [200] * 20, [
        r.text for r in responses if r.status_code != 200
    ]

    with orm(Database(engine)) as session:
        entries = session.scalars(
            select(ConsentLedgerEntry)
            .where(ConsentLedgerEntry.studio_id == world.studio_a, ConsentLedgerEntry.customer_id == 1)
            .order_by(ConsentLedgerEntry.id)
        ).all()
        choices = {
            c.communication_channel: c
            for c in session.scalars(
                select(CustomerChannelChoice).where(
                    CustomerChannelChoice.studio_id == world.studio_a, CustomerChannelChoice.customer_id == 1
                )
            )
        }
    assert entries, "at least the first PUT changes something"
    for channel in ("EMAIL", "TEXT_MESSAGE"):
        chain = [e for e in entries if e.communication_channel == channel]
        # Each entry starts where the previous one ended: no lost or interleaved update.
        assert chain[0].previous_active is False
        for older, newer in pairwise(chain):
            assert newer.previous_active == older.active
            assert newer.active != older.active
        assert choices[channel].active == chain[-1].active
        assert choices[channel].ledger_entry_id == chain[-1].id

    transport_state = asyncio.run(_get(app, world.key_a))
    newsletter = next(e for e in transport_state if e["messageCategory"] == "NEWSLETTER")
    final = {c["communicationChannel"]: c["active"] for c in newsletter["channels"]}
    assert final == {ch: choices[ch].active for ch in ("EMAIL", "TEXT_MESSAGE")}


async def _get(app: FastAPI, key: str) -> list[dict[str, object]]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get(PREFS, headers={"X-API-KEY": key})
        result: list[dict[str, object]] = response.json()
        return result


def test_twenty_concurrent_puts_with_one_idempotency_key_apply_once(
    live: tuple[FastAPI, World], engine: Engine
) -> None:
    app, world = live
    bodies: list[object] = [_body(True, True)] * 20
    responses = asyncio.run(_put_all(app, world.key_a, bodies, {"Idempotency-Key": "one-key"}))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 409}
    applied = [r for r in responses if r.status_code == 200 and "Idempotent-Replayed" not in r.headers]
    assert len(applied) == 1
    for response in responses:
        if response.status_code == 409:
            assert response.json()["errorCode"] == "IDEMPOTENCY_KEY_IN_USE"
        else:
            assert response.content == applied[0].content
    with orm(Database(engine)) as session:
        count = len(
            session.scalars(
                select(ConsentLedgerEntry.id).where(ConsentLedgerEntry.studio_id == world.studio_a)
            ).all()
        )
    assert count == 2  # EMAIL and TEXT_MESSAGE, once
