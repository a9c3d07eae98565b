"""The preference center page without a browser: content, languages, the two-step save, refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from studio_comms.db.session import Database
from studio_comms.web.texts import TEXT_VERSION
from tests.conftest import FixedClock
from tests.factories import World
from tests.web.helpers import (
    checked,
    confirm_form,
    disabled,
    effective,
    hidden,
    history,
    preference_events,
    preference_link,
    review_form,
)


def test_the_page_shows_every_offered_channel_with_its_state(api: TestClient) -> None:
    link = preference_link(api, language="en")
    response = api.get(link, headers={"X-API-KEY": ""})
    assert response.status_code == 200
    html = response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Communication preferences</h1>" in html
    assert "Studio A" in html
    state = effective(api)
    assert checked(html) == {slot for slot, active in state.items() if active}
    # Contract channels are the studio's to set: shown, disabled, with the reason.
    assert disabled(html) == {"CONTRACT:EMAIL", "CONTRACT:LETTER"}
    assert html.count("(set by the studio)") == 2
    # Only changeable channels travel in the form.
    assert {v.rpartition("=")[0] for v in hidden(html, "was")} == set(state) - disabled(html)
    assert '<label for="newsletter-text_message">SMS</label>' in html


def test_the_page_sets_a_strict_csp_and_loads_nothing_from_elsewhere(api: TestClient) -> None:
    response = api.get(preference_link(api))
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "style-src 'self'" in csp
    assert "form-action 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["cache-control"] == "no-store"
    assert "<script" not in response.text
    assert 'href="http' not in response.text  # nothing from another origin
    assert 'src="http' not in response.text
    css = api.get("/assets/prefcenter.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize(
    ("link_language", "header", "expected", "marker"),
    [
        (None, None, "de", "Kommunikationseinstellungen"),  # the customer's language: none; the studio's: de
        (None, "en-GB,en;q=0.9", "en", "Communication preferences"),
        ("en", "de", "en", "Communication preferences"),
        ("de", "en", "de", "Kommunikationseinstellungen"),
    ],
)
def test_german_and_english(
    api: TestClient, link_language: str | None, header: str | None, expected: str, marker: str
) -> None:
    body = {"language": link_language} if link_language else {}
    link = preference_link(api, **body)
    response = api.get(link, headers={"Accept-Language": header} if header else {})
    assert f'<html lang="{expected}">' in response.text
    assert marker in response.text
    if expected == "de":
        assert "(vom Studio festgelegt)" in response.text
        assert "Änderungen prüfen" in response.text


def test_the_customers_own_language_beats_the_browsers(
    api: TestClient, admin: TestClient, world: World
) -> None:
    customer = {"firstName": "Jane", "lastName": "Doe", "language": "en"}
    assert admin.put(f"/admin/v1/studios/{world.studio_a}/customers/2", json=customer).status_code == 200
    response = api.get(preference_link(api, customer=2), headers={"Accept-Language": "de"})
    assert '<html lang="en">' in response.text


def test_review_then_confirm_writes_only_the_changed_channels(
    api: TestClient, db: Database, world: World
) -> None:
    link = preference_link(api, language="en")
    page = api.get(link).text
    before = checked(page)
    ticked = (before | {"NEWSLETTER:TEXT_MESSAGE"}) - {"APPOINTMENT:EMAIL"}
    review = api.post(f"{link}/review", data=review_form(page, ticked), headers={"User-Agent": "Member/1.0"})
    assert review.status_code == 200, review.text
    assert "Please confirm your changes" in review.text
    assert "<li>Appointments by Email: off</li>" in review.text
    assert "<li>Newsletter by SMS: on</li>" in review.text
    assert history(api) == []  # nothing written before the member confirms
    assert preference_events(db, world.studio_a) == []

    save = api.post(
        f"{link}/save",
        data=confirm_form(review.text),
        headers={"User-Agent": "Member/1.0"},
        follow_redirects=False,
    )
    assert save.status_code == 303
    assert save.headers["location"] == f"{link}?saved=1"
    shown = api.get(save.headers["location"])
    assert "Your choices were saved." in shown.text
    assert checked(shown.text) == ticked

    state = effective(api)
    assert state["NEWSLETTER:TEXT_MESSAGE"] is True
    assert state["APPOINTMENT:EMAIL"] is False
    entries = history(api)
    # Newest first; written in category order (APPOINTMENT before NEWSLETTER).
    assert [
        (e["messageCategory"], e["communicationChannel"], e["previousActive"], e["active"]) for e in entries
    ] == [
        ("NEWSLETTER", "TEXT_MESSAGE", False, True),
        ("APPOINTMENT", "EMAIL", True, False),
    ]
    for entry in entries:
        assert entry["source"] == "PREFERENCE_CENTER"
        assert entry["actor"] == "customer:1"
        assert entry["ipAddress"] == "testclient"
        assert entry["userAgent"] == "Member/1.0"
        assert entry["textVersion"] == TEXT_VERSION
        assert entry["requestId"]
    assert preference_events(db, world.studio_a) == [1]


def test_unchanged_boxes_are_not_written_even_if_the_api_changed_them_meanwhile(api: TestClient) -> None:
    link = preference_link(api)
    page = api.get(link).text
    ticked = checked(page) | {"LOYALTY_PROGRAM:EMAIL"}
    # Meanwhile a partner opts the member in to the newsletter by email.
    body = [
        {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}
    ]
    assert api.put("/v1/communications/1/communication-preferences", json=body).status_code == 200
    review = api.post(f"{link}/review", data=review_form(page, ticked))
    assert hidden(review.text, "set") == ["LOYALTY_PROGRAM:EMAIL=1"]
    api.post(f"{link}/save", data=confirm_form(review.text))
    assert effective(api)["NEWSLETTER:EMAIL"] is True  # the untouched box did not undo it
    assert [e["source"] for e in history(api)] == ["PREFERENCE_CENTER", "API_KEY"]


def test_submitting_without_changes_says_so(api: TestClient) -> None:
    link = preference_link(api, language="en")
    page = api.get(link).text
    review = api.post(f"{link}/review", data=review_form(page, checked(page)))
    assert review.status_code == 200
    assert "You did not change anything." in review.text
    assert history(api) == []


def test_a_disabled_channel_cannot_be_changed_by_a_crafted_form(api: TestClient) -> None:
    link = preference_link(api, language="en")
    page = api.get(link).text
    form = review_form(page, checked(page) - {"CONTRACT:EMAIL"})
    form["was"] = [*form["was"], "CONTRACT:EMAIL=1"]
    review = api.post(f"{link}/review", data=form)
    assert "You did not change anything." in review.text
    confirm = {
        "csrf": hidden(
            api.post(f"{link}/review", data=review_form(page, checked(page) | {"NEWSLETTER:EMAIL"})).text,
            "csrf",
        )[0]
    }
    confirm |= {"textVersion": TEXT_VERSION, "set": ["CONTRACT:EMAIL=0"]}
    response = api.post(f"{link}/save", data=confirm)
    assert response.status_code == 409
    assert "could not be saved" in response.text
    assert effective(api)["CONTRACT:EMAIL"] is True
    assert history(api) == []


@pytest.mark.parametrize("step", ["review", "save"])
def test_missing_or_forged_csrf_is_refused_and_changes_nothing(api: TestClient, step: str) -> None:
    link = preference_link(api, language="en")
    page = api.get(link).text
    review = api.post(f"{link}/review", data=review_form(page, checked(page) | {"NEWSLETTER:EMAIL"}))
    form = (
        review_form(page, checked(page) | {"NEWSLETTER:EMAIL"})
        if step == "review"
        else confirm_form(review.text)
    )
    other_link = preference_link(api, customer=2)
    other_csrf = hidden(api.get(other_link).text, "csrf")[0]
    for csrf in (
        None,
        "",
        "1.2.3",
        other_csrf,
        hidden(page, "csrf")[0] if step == "save" else _forged(form["csrf"]),
    ):
        data = {k: v for k, v in form.items() if k != "csrf"}
        if csrf is not None:
            data["csrf"] = csrf
        response = api.post(f"{link}/{step}", data=data)
        assert response.status_code == 403, (csrf, response.text)
        assert "The form could not be verified" in response.text
        assert response.headers["content-type"].startswith("text/html")
    assert history(api) == []


def test_a_post_from_another_site_is_refused(api: TestClient) -> None:
    link = preference_link(api)
    page = api.get(link).text
    review = api.post(f"{link}/review", data=review_form(page, checked(page) | {"NEWSLETTER:EMAIL"}))
    form = confirm_form(review.text)
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
        assert api.post(f"{link}/save", data=form, headers=headers).status_code == 403
    assert history(api) == []
    same = api.post(
        f"{link}/save",
        data=form,
        headers={"Origin": "https://members.example.org", "Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    assert same.status_code == 303


def test_an_expired_form_is_refused(api: TestClient, clock: FixedClock) -> None:
    link = preference_link(api)
    page = api.get(link).text
    clock.now += timedelta(hours=3)
    response = api.post(f"{link}/review", data=review_form(page, checked(page)))
    assert response.status_code == 403


def test_a_tampered_text_version_or_malformed_form_is_refused(api: TestClient) -> None:
    link = preference_link(api)
    page = api.get(link).text
    review = api.post(f"{link}/review", data=review_form(page, checked(page) | {"NEWSLETTER:EMAIL"}))
    form = confirm_form(review.text)
    assert api.post(f"{link}/save", data={**form, "textVersion": "old"}).status_code == 403
    assert api.post(f"{link}/save", data={**form, "set": ["NEWSLETTER:EMAIL=yes"]}).status_code == 400
    assert api.post(f"{link}/save", data={**form, "set": ["NOPE:EMAIL=1"]}).status_code == 400
    assert api.post(f"{link}/save", json=form).status_code == 400
    assert history(api) == []


def _forged(token: str) -> str:
    """One signature character changed. Not the last: base64 keeps padding bits there, so
    changing it may decode to the same signature (which made this test fail now and then)."""
    i = len(token) - 5
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
