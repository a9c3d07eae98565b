"""An ``Idempotency-Key``'s stored response is written in the unit of work of the change it
answers, on both databases: when storing it fails, the change is not kept either, so a retry with
the key applies the change once (a record written in a transaction of its own would leave the
change applied and the key free: the retry would apply it again)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.commitfail import refused_inserts
from tests.wire import OPT_IN, PREFS, THREAD, THREADS


def test_a_change_whose_stored_response_cannot_be_written_is_not_kept(
    api: TestClient, engine: Engine
) -> None:
    with refused_inserts(engine, "idempotency_records"):
        failed = api.put(PREFS, json=OPT_IN, headers={"Idempotency-Key": "once-1"})
        assert failed.status_code == 409, failed.text
        posted = api.post(THREADS, json=THREAD, headers={"Idempotency-Key": "once-2"})
        assert posted.status_code == 409, posted.text
        assert api.get(PREFS + "/history").json()["result"] == []
        assert api.get(THREADS).json()["result"] == []
    for _ in range(2):  # the retry applies it, the next replays it
        assert api.put(PREFS, json=OPT_IN, headers={"Idempotency-Key": "once-1"}).status_code == 200
        assert (
            api.post(
                "/v1/communications/1/threads", json=THREAD, headers={"Idempotency-Key": "once-2"}
            ).status_code
            == 200
        )
    assert len(api.get(PREFS + "/history").json()["result"]) == 1
    assert len(api.get(THREADS).json()["result"]) == 1
