"""Issuing member links: POST /v1/communications/{customerId}/preference-links and /unsubscribe-links."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from studio_comms.core.auth import Scope
from studio_comms.db.database import Database
from tests.assertions import assert_error
from tests.conftest import PUBLIC_URL, FixedClock
from tests.factories import World, make_key

LINKS = "/v1/communications/{customer}/preference-links"
UNSUB = "/v1/communications/{customer}/unsubscribe-links"
NEWSLETTER_EMAIL = {"messageCategory": "NEWSLETTER", "communicationChannel": "EMAIL"}


def test_a_preference_link_points_at_the_public_url_and_expires_in_30_days(api: TestClient) -> None:
    response = api.post(LINKS.format(customer=1))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"url", "expiresAt"}
    assert body["url"].startswith(f"{PUBLIC_URL}/preferences/")
    assert datetime.fromisoformat(body["expiresAt"]) == datetime(2026, 12, 27, 9, 0, tzinfo=UTC)
    custom = api.post(LINKS.format(customer=1), json={"expiresInDays": 2, "language": "en"}).json()
    assert datetime.fromisoformat(custom["expiresAt"]) == datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    assert custom["url"] != body["url"]


def test_preference_link_body_is_validated(api: TestClient) -> None:
    assert_error(
        api.post(LINKS.format(customer=1), json={"expiresInDays": 0}),
        400,
        "VALIDATION_FAILED",
        "expiresInDays",
    )
    assert_error(
        api.post(LINKS.format(customer=1), json={"expiresInDays": 366}),
        400,
        "VALIDATION_FAILED",
        "expiresInDays",
    )
    assert_error(
        api.post(LINKS.format(customer=1), json={"language": "fr"}), 400, "VALIDATION_FAILED", "language"
    )
    assert_error(api.post(LINKS.format(customer="01")), 400, "VALIDATION_FAILED", "customerId")


def test_links_for_unknown_or_other_studios_customers_are_404(api: TestClient, world: World) -> None:
    for customer in (99, world.only_in_b):
        assert_error(api.post(LINKS.format(customer=customer)), 404, "CUSTOMER_NOT_FOUND")
        unsubscribe = api.post(UNSUB.format(customer=customer), json=NEWSLETTER_EMAIL)
        assert_error(unsubscribe, 404, "CUSTOMER_NOT_FOUND")


def test_links_need_the_preferences_write_scope(
    client: TestClient, db: Database, world: World, clock: FixedClock
) -> None:
    with db.transaction() as session:
        reader = make_key(
            session, world.studio_a, now=clock.now, scopes=[Scope.COMMUNICATION_PREFERENCES_READ]
        )
    client.headers["X-API-KEY"] = reader
    assert_error(client.post(LINKS.format(customer=1)), 403, "MISSING_SCOPE")
    assert_error(client.post(UNSUB.format(customer=1), json=NEWSLETTER_EMAIL), 403, "MISSING_SCOPE")
    del client.headers["X-API-KEY"]
    assert_error(client.post(LINKS.format(customer=1)), 401, "AUTHENTICATION_FAILED")


def test_an_unsubscribe_link_comes_with_rfc_8058_headers(api: TestClient) -> None:
    response = api.post(UNSUB.format(customer=1), json=NEWSLETTER_EMAIL)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["url"].startswith(f"{PUBLIC_URL}/unsubscribe/")
    assert body["listUnsubscribeHeaders"] == {
        "List-Unsubscribe": f"<{body['url']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert datetime.fromisoformat(body["expiresAt"]) == datetime(2027, 11, 27, 9, 0, tzinfo=UTC)


def test_no_unsubscribe_link_for_a_channel_the_member_cannot_switch_off(api: TestClient) -> None:
    enforced = {"messageCategory": "CONTRACT", "communicationChannel": "EMAIL"}
    assert_error(
        api.post(UNSUB.format(customer=1), json=enforced),
        400,
        "CHANNEL_NOT_OVERRIDABLE",
        "communicationChannel",
    )
    not_offered = {"messageCategory": "NEWSLETTER", "communicationChannel": "FAX"}
    assert_error(
        api.post(UNSUB.format(customer=1), json=not_offered),
        400,
        "CHANNEL_NOT_OFFERED",
        "communicationChannel",
    )
    assert_error(
        api.post(UNSUB.format(customer=1), json={"messageCategory": "NEWSLETTER"}),
        400,
        "VALIDATION_FAILED",
        "communicationChannel",
    )


def test_no_links_for_an_erased_customer(api: TestClient, admin: TestClient, world: World) -> None:
    erase = f"/admin/v1/studios/{world.studio_a}/customers/1/suppressions/EMAIL"
    assert admin.put(erase, json={"reason": "ERASED"}).status_code == 200
    assert_error(api.post(LINKS.format(customer=1)), 409, "CUSTOMER_ERASED")
    assert_error(api.post(UNSUB.format(customer=1), json=NEWSLETTER_EMAIL), 409, "CUSTOMER_ERASED")
    # Another customer of the studio is unaffected.
    assert api.post(LINKS.format(customer=2)).status_code == 200
    de = api.post(LINKS.format(customer=1), headers={"Accept-Language": "de"}).json()
    assert "gelöscht" in de["errorMessage"]
