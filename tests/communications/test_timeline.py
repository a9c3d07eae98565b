"""Timeline reads: slices of threads, newest first, filtered by status; one thread in order."""

from __future__ import annotations

from fastapi.testclient import TestClient

from studio_comms.core.auth import Scope
from studio_comms.db.database import Database
from tests.communications.helpers import THREAD, THREADS, request
from tests.conftest import FixedClock
from tests.factories import World, make_key


def test_threads_newest_first_in_slices_with_status_filter(api: TestClient) -> None:
    statuses = ["CREATED", "CLOSED", "ONGOING", "CLOSED", "CREATED"]
    ids = [
        api.post(THREADS.format(1), json=request(communicationThreadStatus=s, subject=f"s{i}")).json()[
            "threadId"
        ]
        for i, s in enumerate(statuses)
    ]
    first = api.get(THREADS.format(1), params={"sliceSize": 2}).json()
    assert [t["threadId"] for t in first["result"]] == ids[::-1][:2]
    assert first["hasNext"] is True
    rest = api.get(THREADS.format(1), params={"sliceSize": 10, "offset": first["offset"]}).json()
    assert [t["threadId"] for t in rest["result"]] == ids[::-1][2:]
    assert rest["hasNext"] is False
    closed = api.get(THREADS.format(1), params={"communicationThreadStatus": "CLOSED"}).json()["result"]
    assert [t["threadId"] for t in closed] == [ids[3], ids[1]]
    assert closed[0]["subject"] == "s3"
    assert api.get(THREADS.format(2)).json() == {"result": [], "offset": "0", "hasNext": False}


def test_thread_lists_its_communications_in_order_with_time_and_request_id(
    api: TestClient, clock: FixedClock
) -> None:
    created = api.post(THREADS.format(1), json=request(), headers={"Idempotency-Key": "first"}).json()
    api.put(
        THREAD.format(1, created["threadId"]),
        json=request(subject="second", requestId="req-2", communicationThreadStatus="CLOSED"),
    )
    thread = api.get(THREAD.format(1, created["threadId"])).json()
    assert thread["communicationThreadStatus"] == "CLOSED"
    assert thread["subject"] == "Complaint"
    assert [
        (c["subject"], c["requestId"], c["communicationThreadStatus"]) for c in thread["communications"]
    ] == [("Complaint", "first", "CREATED"), ("second", "req-2", "CLOSED")]
    assert all(c["communicationDateTime"] == "2026-11-27T09:00:00Z" for c in thread["communications"])


def test_reading_needs_communication_read(
    client: TestClient, db: Database, world: World, clock: FixedClock
) -> None:
    with db.transaction() as session:
        key = make_key(session, world.studio_a, now=clock.now, scopes=[Scope.COMMUNICATION_WRITE])
    assert client.get(THREADS.format(1), headers={"X-API-KEY": key}).status_code == 403


def test_bad_slice_parameters_and_unknown_customer(api: TestClient) -> None:
    assert api.get(THREADS.format(1), params={"sliceSize": 0}).json()["reference"] == "sliceSize"
    assert (
        api.get(THREADS.format(1), params={"communicationThreadStatus": "X"}).json()["reference"]
        == "communicationThreadStatus"
    )
    assert api.get(THREADS.format(1), params={"offset": "x"}).json()["reference"] == "offset"
    assert api.get(THREADS.format(999)).status_code == 404
