"""bench/peer.py answers what our service answers, on the database our service writes.

``make bench`` compares CPU per request of the two; the comparison means something only while
both compute the same answer (the harness also checks it before every run).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import ADMIN_TOKEN
from tests.factories import World

PREFS = "/v1/communications/{}/communication-preferences"


def _flip(active: bool, channel: str = "EMAIL") -> list[dict[str, object]]:
    return [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": channel, "active": active}]}
    ]


@pytest.fixture
def pair(
    live: tuple[FastAPI, World], database_url: str
) -> Iterator[tuple[TestClient, TestClient, TestClient]]:
    """(ours, the peer, our operator API) on studio A's committed data."""
    from peer import create_app as create_peer

    app, world = live
    peer = create_peer(database_url, world.key_a, world.studio_a)
    with (
        TestClient(app, headers={"X-API-KEY": world.key_a}) as ours,
        TestClient(peer, headers={"X-API-KEY": world.key_a}) as theirs,
        TestClient(app, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as admin,
    ):
        yield ours, theirs, admin


def test_both_answer_the_same_bytes_whoever_wrote_last(
    pair: tuple[TestClient, TestClient, TestClient],
) -> None:
    ours, peer, _admin = pair
    assert ours.get(PREFS.format(1)).content == peer.get(PREFS.format(1)).content
    for writer, active in ((ours, True), (peer, False), (peer, True), (ours, False)):
        put = writer.put(PREFS.format(1), json=_flip(active))
        assert put.status_code == 200
        newsletter = next(p for p in put.json() if p["messageCategory"] == "NEWSLETTER")
        assert (
            next(c for c in newsletter["channels"] if c["communicationChannel"] == "EMAIL")["active"]
            is active
        )
        assert put.content == ours.get(PREFS.format(1)).content == peer.get(PREFS.format(1)).content


def test_the_peer_counts_only_real_changes(pair: tuple[TestClient, TestClient, TestClient]) -> None:
    _ours, peer, _admin = pair
    before = peer.get("/peer/stats").json()["changes"]
    peer.put(PREFS.format(2), json=_flip(True))
    peer.put(PREFS.format(2), json=_flip(True))  # restates: no change
    peer.put(PREFS.format(2), json=_flip(False))
    assert peer.get("/peer/stats").json()["changes"] == before + 2


def test_a_blocked_channel_reads_alike_and_cannot_be_switched_on(
    pair: tuple[TestClient, TestClient, TestClient], live: tuple[FastAPI, World]
) -> None:
    ours, peer, admin = pair
    studio = live[1].studio_a
    blocked = admin.put(
        f"/admin/v1/studios/{studio}/customers/3/suppressions/EMAIL", json={"reason": "HARD_BOUNCE"}
    )
    assert blocked.status_code in (200, 201)
    assert ours.get(PREFS.format(3)).content == peer.get(PREFS.format(3)).content
    assert peer.put(PREFS.format(3), json=_flip(True)).status_code == 409


def test_the_peer_refuses_what_ours_refuses(pair: tuple[TestClient, TestClient, TestClient]) -> None:
    ours, peer, _admin = pair
    for client in (ours, peer):
        assert client.get(PREFS.format(999)).status_code == 404
        assert client.get(PREFS.format(1), headers={"X-API-KEY": "sck_wrong"}).status_code == 401
        assert client.put(PREFS.format(1), json=_flip(True, "FAX")).status_code == 400
        contract = [
            {"messageCategory": "CONTRACT", "channels": [{"communicationChannel": "EMAIL", "active": False}]}
        ]
        assert client.put(PREFS.format(1), json=contract).status_code == 400
