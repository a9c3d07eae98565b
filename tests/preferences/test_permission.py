"""The permission extension answers the one decision function, with the rule and its proof."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import World

PERMISSION = "/v1/communications/{}/communication-permission"


def ask(api: TestClient, category: str, channel: str, customer: int = 1) -> dict[str, object]:
    response = api.get(
        PERMISSION.format(customer), params={"messageCategory": category, "communicationChannel": channel}
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    assert body["messageCategory"] == category
    assert body["communicationChannel"] == channel
    return body


def test_studio_default(api: TestClient) -> None:
    answer = ask(api, "NEWSLETTER", "EMAIL")
    assert (answer["permitted"], answer["reason"]) == (False, "STUDIO_DEFAULT")
    assert "ledgerEntryId" not in answer
    assert answer["decidedAt"] == "2026-11-27T09:00:00Z"


def test_studio_enforced(api: TestClient) -> None:
    answer = ask(api, "CONTRACT", "LETTER")
    assert (answer["permitted"], answer["reason"]) == (True, "STUDIO_ENFORCED")


def test_not_offered(api: TestClient) -> None:
    answer = ask(api, "CONTRACT", "TEXT_MESSAGE")
    assert (answer["permitted"], answer["reason"]) == (False, "NOT_OFFERED")


def test_customer_choice_names_the_ledger_entry(api: TestClient) -> None:
    body = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}
    ]
    api.put("/v1/communications/1/communication-preferences", json=body)
    entry = api.get("/v1/communications/1/communication-preferences/history").json()["result"][0]
    answer = ask(api, "NEWSLETTER", "EMAIL")
    assert (answer["permitted"], answer["reason"]) == (True, "CUSTOMER_CHOICE")
    assert answer["ledgerEntryId"] == entry["entryId"]


def test_blocked(api: TestClient, admin: TestClient, world: World) -> None:
    admin.put(
        f"/admin/v1/studios/{world.studio_a}/customers/1/suppressions/TEXT_MESSAGE",
        json={"reason": "SMS_STOP"},
    )
    answer = ask(api, "APPOINTMENT", "TEXT_MESSAGE")
    assert (answer["permitted"], answer["reason"], answer["blockReason"]) == (False, "BLOCKED", "SMS_STOP")
    assert ask(api, "APPOINTMENT", "TEXT_MESSAGE", customer=2)["permitted"] is True


def test_bad_or_missing_query_is_400(api: TestClient) -> None:
    missing = api.get(PERMISSION.format(1), params={"messageCategory": "GENERAL"})
    assert missing.status_code == 400
    assert missing.json()["reference"] == "communicationChannel"
    wrong = api.get(PERMISSION.format(1), params={"messageCategory": "SPAM", "communicationChannel": "EMAIL"})
    assert wrong.status_code == 400
    assert wrong.json()["reference"] == "messageCategory"


def test_unknown_customer_is_404(api: TestClient) -> None:
    response = api.get(
        PERMISSION.format(999), params={"messageCategory": "GENERAL", "communicationChannel": "EMAIL"}
    )
    assert response.status_code == 404
