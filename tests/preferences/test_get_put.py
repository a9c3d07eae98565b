from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import World

PREFS = "/v1/communications/{}/communication-preferences"


def test_get_answers_one_entry_per_offered_category_with_defaults(api: TestClient) -> None:
    response = api.get(PREFS.format(1))
    assert response.status_code == 200
    body = response.json()
    assert [entry["messageCategory"] for entry in body] == [
        "CONTRACT",
        "GENERAL",
        "APPOINTMENT",
        "NEWSLETTER",
        "LOYALTY_PROGRAM",
    ]
    contract = body[0]["channels"]
    assert contract == [
        {"communicationChannel": "LETTER", "customerOverridable": False, "active": True},
        {"communicationChannel": "EMAIL", "customerOverridable": False, "active": True},
    ]
    newsletter = body[3]["channels"]
    assert {c["communicationChannel"]: c["active"] for c in newsletter} == {
        "EMAIL": False,
        "TEXT_MESSAGE": False,
    }


def test_put_merges_and_answers_like_a_following_get(api: TestClient) -> None:
    body = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}
    ]
    response = api.put(PREFS.format(1), json=body)
    assert response.status_code == 200, response.text
    newsletter = next(e for e in response.json() if e["messageCategory"] == "NEWSLETTER")
    assert {c["communicationChannel"]: c["active"] for c in newsletter["channels"]} == {
        "EMAIL": True,
        "TEXT_MESSAGE": False,
    }
    assert api.get(PREFS.format(1)).json() == response.json()


def test_other_studios_customer_with_same_number_is_unaffected(api: TestClient, world: World) -> None:
    body = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}
    ]
    assert api.put(PREFS.format(1), json=body).status_code == 200
    other = api.get(PREFS.format(1), headers={"X-API-KEY": world.key_b}).json()
    newsletter = next(e for e in other if e["messageCategory"] == "NEWSLETTER")
    assert all(c["active"] is False for c in newsletter["channels"])
