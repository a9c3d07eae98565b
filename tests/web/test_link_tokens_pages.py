"""Bad links end on a friendly page with a 4xx status: forged, expired, re-pointed, erased."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FixedClock
from tests.factories import World
from tests.forgery import with_flipped_signature
from tests.web.helpers import checked, effective, history, preference_link, review_form, unsubscribe_link


def _friendly(response: object, status: int, text: str) -> None:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("text/html")  # type: ignore[attr-defined]
    assert text in response.text  # type: ignore[attr-defined]
    assert "Traceback" not in response.text  # type: ignore[attr-defined]
    assert "content-security-policy" in response.headers  # type: ignore[attr-defined]


def _repoint(path: str, customer: int) -> str:
    """The same signature on a payload naming another customer."""
    prefix, token = path.rsplit("/", 1)
    payload, signature = token.split(".")
    fields = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    fields[1] = customer
    forged = (
        base64.urlsafe_b64encode(json.dumps(fields, separators=(",", ":")).encode()).rstrip(b"=").decode()
    )
    return f"{prefix}/{forged}.{signature}"


@pytest.mark.parametrize("kind", ["preferences", "unsubscribe"])
def test_forged_and_garbled_tokens_are_400(api: TestClient, kind: str) -> None:
    path = preference_link(api) if kind == "preferences" else unsubscribe_link(api, "NEWSLETTER", "EMAIL")
    for bad in (
        with_flipped_signature(path),
        f"/{kind}/nonsense",
        f"/{kind}/a.b",
        _repoint(path, 2),
        path + "x" * 2000,
    ):
        _friendly(api.get(bad, headers={"Accept-Language": "en"}), 400, "This link is not valid")
    _friendly(
        api.get(f"/{kind}/nonsense", headers={"Accept-Language": "de"}), 400, "Dieser Link ist ungültig"
    )


def test_a_token_cannot_be_re_pointed_at_another_customer(api: TestClient) -> None:
    forged = _repoint(preference_link(api), 2)
    assert api.get(forged).status_code == 400
    assert (
        api.post(
            _repoint(unsubscribe_link(api, "NEWSLETTER", "EMAIL"), 2), data={"List-Unsubscribe": "One-Click"}
        ).status_code
        == 400
    )
    assert history(api, customer=2) == []


def test_a_preference_token_is_no_unsubscribe_token_and_vice_versa(api: TestClient) -> None:
    preferences = preference_link(api).rsplit("/", 1)[1]
    unsubscribe = unsubscribe_link(api, "NEWSLETTER", "EMAIL").rsplit("/", 1)[1]
    assert api.post(f"/unsubscribe/{preferences}", data={"List-Unsubscribe": "One-Click"}).status_code == 400
    assert api.get(f"/preferences/{unsubscribe}").status_code == 400


def test_a_link_shows_only_its_own_customer(api: TestClient, world: World) -> None:
    """Customer 1 of studio B has the same number as customer 1 of studio A: the link tells them apart."""
    body = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}
    ]
    api.put("/v1/communications/1/communication-preferences", json=body)
    api.headers["X-API-KEY"] = world.key_b
    page_b = api.get(preference_link(api)).text
    assert "Studio B" in page_b
    assert "NEWSLETTER:EMAIL" not in checked(page_b)


def test_an_expired_link_is_410(api: TestClient, clock: FixedClock) -> None:
    path = preference_link(api, expiresInDays=1)
    unsubscribe = unsubscribe_link(api, "NEWSLETTER", "EMAIL")
    page = api.get(path).text
    clock.now += timedelta(days=1)
    _friendly(api.get(path, headers={"Accept-Language": "en"}), 410, "This link has expired")
    assert api.post(f"{path}/review", data=review_form(page, checked(page))).status_code == 410
    assert api.get(unsubscribe).status_code == 200  # unsubscribe links live a year
    clock.now += timedelta(days=365)
    assert api.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code == 410


def test_erasure_revokes_every_link_even_after_the_block_is_lifted(
    api: TestClient, admin: TestClient, world: World
) -> None:
    path = preference_link(api)
    unsubscribe = unsubscribe_link(api, "NEWSLETTER", "EMAIL")
    other = preference_link(api, customer=2)
    page = api.get(path).text
    suppression = f"/admin/v1/studios/{world.studio_a}/customers/1/suppressions/TEXT_MESSAGE"
    assert admin.put(suppression, json={"reason": "ERASED"}).status_code == 200
    _friendly(api.get(path, headers={"Accept-Language": "en"}), 410, "This link is no longer valid")
    _friendly(api.get(unsubscribe, headers={"Accept-Language": "en"}), 410, "This link is no longer valid")
    assert api.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code == 410
    assert api.post(f"{path}/review", data=review_form(page, checked(page))).status_code == 410
    assert api.get(other).status_code == 200  # other customers' links keep working
    assert admin.delete(suppression).status_code == 204
    assert api.get(path).status_code == 410  # lifting the block does not bring old links back
    assert api.get(preference_link(api)).status_code == 200  # a new link works again
    assert history(api) == []
    assert effective(api)["NEWSLETTER:EMAIL"] is False


def test_an_operator_can_revoke_a_customers_links(api: TestClient, admin: TestClient, world: World) -> None:
    path = preference_link(api)
    unsubscribe = unsubscribe_link(api, "NEWSLETTER", "EMAIL")
    other = preference_link(api, customer=2)
    revoke = f"/admin/v1/studios/{world.studio_a}/customers/1/revoke-links"
    response = admin.post(revoke)
    assert response.status_code == 204, response.text
    _friendly(api.get(path, headers={"Accept-Language": "en"}), 410, "This link is no longer valid")
    assert api.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code == 410
    assert api.get(other).status_code == 200  # only this customer's links
    assert api.get(preference_link(api)).status_code == 200  # links issued afterwards work
    assert history(api) == []


def test_revoking_links_of_unknown_customers_or_studios_is_404(
    api: TestClient, admin: TestClient, world: World
) -> None:
    missing = admin.post(f"/admin/v1/studios/{world.studio_a}/customers/999/revoke-links")
    assert (missing.status_code, missing.json()["errorCode"]) == (404, "CUSTOMER_NOT_FOUND")
    assert admin.post(f"/admin/v1/studios/{2**62}/customers/1/revoke-links").status_code == 404
    assert api.post(f"/admin/v1/studios/{world.studio_a}/customers/1/revoke-links").status_code == 401


def test_other_blocks_do_not_revoke_links(api: TestClient, admin: TestClient, world: World) -> None:
    path = preference_link(api, language="en")
    suppression = f"/admin/v1/studios/{world.studio_a}/customers/1/suppressions/TEXT_MESSAGE"
    assert admin.put(suppression, json={"reason": "SMS_STOP"}).status_code == 200
    page = api.get(path)
    assert page.status_code == 200
    assert "(blocked: you replied STOP)" in page.text
    assert "NEWSLETTER:TEXT_MESSAGE" not in checked(page.text)


def test_an_unexpected_failure_is_a_friendly_500_page(
    api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from studio_comms.web import pages

    path = preference_link(api)

    def broken(*_: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(pages, "load_view", broken)
    response = api.get(path, headers={"Accept-Language": "en"})
    _friendly(response, 500, "Something went wrong")
    assert "database on fire" not in response.text
