"""The consent ledger: one entry per effective change, proof fields, history slices."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FixedClock

PREFS = "/v1/communications/1/communication-preferences"
HISTORY = PREFS + "/history"


def put(api: TestClient, category: str, channel: str, active: bool, **headers: str) -> None:
    body = [{"messageCategory": category, "channels": [{"communicationChannel": channel, "active": active}]}]
    response = api.put(PREFS, json=body, headers=headers)
    assert response.status_code == 200, response.text


def test_each_changed_channel_is_one_entry_with_its_proof(api: TestClient, clock: FixedClock) -> None:
    body = [
        {
            "messageCategory": "NEWSLETTER",
            "channels": [
                {"communicationChannel": "EMAIL", "active": True},
                {"communicationChannel": "TEXT_MESSAGE", "active": False},  # already off: no entry
            ],
        },
        {"messageCategory": "GENERAL", "channels": [{"communicationChannel": "PHONE", "active": False}]},
    ]
    response = api.put(PREFS, json=body, headers={"User-Agent": "member-app/1.0", "X-Request-Id": "req-1"})
    assert response.status_code == 200
    history = api.get(HISTORY).json()
    assert history["hasNext"] is False
    entries = history["result"]
    assert [
        (e["messageCategory"], e["communicationChannel"], e["previousActive"], e["active"]) for e in entries
    ] == [("GENERAL", "PHONE", True, False), ("NEWSLETTER", "EMAIL", False, True)]
    newest = entries[0]
    assert newest["source"] == "API_KEY"
    assert newest["actor"].startswith("apiKey:")
    assert newest["requestId"] == "req-1"
    assert newest["userAgent"] == "member-app/1.0"
    assert newest["ipAddress"] == "testclient"
    assert newest["occurredAt"].startswith(clock.now.isoformat().replace("+00:00", ""))
    assert entries[0]["entryId"] > entries[1]["entryId"]


def test_a_put_that_changes_nothing_appends_nothing(api: TestClient) -> None:
    put(api, "NEWSLETTER", "EMAIL", True)
    put(api, "NEWSLETTER", "EMAIL", True)
    put(api, "NEWSLETTER", "TEXT_MESSAGE", False)
    assert len(api.get(HISTORY).json()["result"]) == 1


def test_idempotency_key_is_the_entrys_request_id(api: TestClient) -> None:
    put(api, "NEWSLETTER", "EMAIL", True, **{"Idempotency-Key": "order-42"})
    assert api.get(HISTORY).json()["result"][0]["requestId"] == "order-42"


def test_history_slices_newest_first(api: TestClient, clock: FixedClock) -> None:
    for flip in range(5):
        clock.now += timedelta(seconds=1)
        put(api, "NEWSLETTER", "EMAIL", flip % 2 == 0)
    first = api.get(HISTORY, params={"sliceSize": 2}).json()
    assert first["hasNext"] is True
    assert [e["active"] for e in first["result"]] == [True, False]
    second = api.get(HISTORY, params={"sliceSize": 2, "offset": first["offset"]}).json()
    third = api.get(HISTORY, params={"sliceSize": 2, "offset": second["offset"]}).json()
    assert second["hasNext"] is True
    assert third["hasNext"] is False
    ids = [e["entryId"] for page in (first, second, third) for e in page["result"]]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 5
    times = [e["occurredAt"] for page in (first, second, third) for e in page["result"]]
    assert times == sorted(times, reverse=True)
    # previousActive always chains to the entry before it
    chain = list(reversed([e for page in (first, second, third) for e in page["result"]]))
    for older, newer in pairwise(chain):
        assert newer["previousActive"] == older["active"]


def test_history_empty(api: TestClient) -> None:
    empty = api.get(HISTORY).json()
    assert empty == {"result": [], "offset": "0", "hasNext": False}
    # The offset handed back (and the official default "0") start from the beginning.
    put(api, "NEWSLETTER", "EMAIL", True)
    again = api.get(HISTORY, params={"offset": empty["offset"]}).json()
    assert len(again["result"]) == 1
    assert again["offset"] == str(again["result"][0]["entryId"])
    # Past the last entry: an empty slice that still carries the offset it was asked for.
    past = api.get(HISTORY, params={"offset": again["offset"]}).json()
    assert past == {"result": [], "offset": again["offset"], "hasNext": False}


def test_history_slices_hold_50_entries_unless_asked_otherwise(api: TestClient) -> None:
    for flip in range(53):
        body = [
            {
                "messageCategory": "NEWSLETTER",
                "channels": [{"communicationChannel": "EMAIL", "active": flip % 2 == 0}],
            }
        ]
        assert api.put(PREFS, json=body).status_code == 200
    first = api.get(HISTORY).json()
    assert (len(first["result"]), first["hasNext"]) == (50, True)
    rest = api.get(HISTORY, params={"offset": first["offset"]}).json()
    assert (len(rest["result"]), rest["hasNext"]) == (3, False)


@pytest.mark.parametrize(
    ("params", "reference"),
    [
        ({"sliceSize": 0}, "sliceSize"),
        ({"sliceSize": 101}, "sliceSize"),
        ({"sliceSize": "x"}, "sliceSize"),
        ({"offset": "abc"}, "offset"),
        ({"offset": "-5"}, "offset"),
    ],
)
def test_bad_slice_parameters_are_400(api: TestClient, params: dict[str, object], reference: str) -> None:
    response = api.get(HISTORY, params=params)
    assert response.status_code == 400
    assert response.json()["reference"] == reference


def test_history_of_unknown_customer_is_404(api: TestClient) -> None:
    assert api.get("/v1/communications/404/communication-preferences/history").status_code == 404
