"""One-click unsubscribe: RFC 8058 POST, the GET confirmation page, refusals."""

from __future__ import annotations

from fastapi.testclient import TestClient

from studio_comms.db.database import Database
from studio_comms.web.texts import TEXT_VERSION
from studio_comms.web.unsubscribe import MAIL_CLIENT_TEXT_VERSION
from tests.factories import World
from tests.web.helpers import effective, hidden, history, path_of, preference_events, unsubscribe_link

ONE_CLICK = b"List-Unsubscribe=One-Click"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
OPT_IN = [{"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}]


def _opted_in(api: TestClient) -> str:
    assert api.put("/v1/communications/1/communication-preferences", json=OPT_IN).status_code == 200
    return unsubscribe_link(api, "NEWSLETTER", "EMAIL")


def test_rfc_8058_post_unsubscribes_at_once_without_redirect(
    api: TestClient, db: Database, world: World
) -> None:
    path = _opted_in(api)
    # As a mail provider posts it: no cookies, no form token, no browser headers.
    response = api.post(
        path, content=ONE_CLICK, headers={**FORM, "User-Agent": "MailProvider/2.0"}, follow_redirects=False
    )
    assert response.status_code == 200, response.text
    assert "location" not in response.headers
    assert effective(api)["NEWSLETTER:EMAIL"] is False
    entry = history(api)[0]
    assert entry["source"] == "UNSUBSCRIBE_LINK"
    assert (
        entry["messageCategory"],
        entry["communicationChannel"],
        entry["previousActive"],
        entry["active"],
    ) == (
        "NEWSLETTER",
        "EMAIL",
        True,
        False,
    )
    assert entry["userAgent"] == "MailProvider/2.0"
    assert entry["ipAddress"] == "testclient"
    assert entry["textVersion"] == MAIL_CLIENT_TEXT_VERSION
    assert preference_events(db, world.studio_a) == [1, 1]  # the API opt-in, then the unsubscribe
    # Again: still 200, nothing more recorded.
    assert api.post(path, content=ONE_CLICK, headers=FORM).status_code == 200
    assert len(history(api)) == 2


def test_multipart_one_click_is_accepted(api: TestClient) -> None:
    path = _opted_in(api)
    response = api.post(path, files={"List-Unsubscribe": (None, "One-Click")})
    assert response.status_code == 200, response.text
    assert effective(api)["NEWSLETTER:EMAIL"] is False


def test_a_post_without_the_one_click_body_changes_nothing(api: TestClient) -> None:
    path = _opted_in(api)
    for body in (b"", b"List-Unsubscribe=Yes", b"foo=bar", b"\xff\xfe"):
        response = api.post(path, content=body, headers=FORM)
        assert response.status_code == 400, body
        assert response.headers["content-type"].startswith("text/html")
    assert effective(api)["NEWSLETTER:EMAIL"] is True


def test_get_only_asks_and_links_to_the_preference_center(api: TestClient) -> None:
    path = _opted_in(api)
    page = api.get(path, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "<h1>Unsubscribe?</h1>" in page.text
    assert "Studio A will no longer send you Newsletter by Email." in page.text
    assert f'<form method="post" action="{path}">' in page.text
    assert "Manage all your communication preferences" in page.text
    assert api.head(path).status_code in (200, 405)
    assert effective(api)["NEWSLETTER:EMAIL"] is True  # a link scanner fetching the URL changes nothing
    assert len(history(api)) == 1

    manage = path_of(page.text.split('<p><a href="')[1].split('"')[0])
    assert api.get(manage).status_code == 200

    # The button posts our form: the ledger names the text version the member saw.
    form = {"List-Unsubscribe": "One-Click", "textVersion": hidden(page.text, "textVersion")[0]}
    done = api.post(path, data=form, headers={"Accept-Language": "en"})
    assert done.status_code == 200
    assert "You are unsubscribed" in done.text
    assert history(api)[0]["textVersion"] == TEXT_VERSION


def test_get_in_german(api: TestClient) -> None:
    path = _opted_in(api)
    page = api.get(path, headers={"Accept-Language": "de"})
    assert '<html lang="de">' in page.text
    assert "Abmelden?" in page.text
    assert "per E-Mail" in page.text


def test_an_already_unsubscribed_channel_just_says_so(api: TestClient) -> None:
    path = unsubscribe_link(api, "NEWSLETTER", "TEXT_MESSAGE")  # off by default
    page = api.get(path, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "You are unsubscribed" in page.text
    assert "<form" not in page.text
    assert api.post(path, content=ONE_CLICK, headers=FORM).status_code == 200
    assert history(api) == []


def test_a_channel_the_studio_made_mandatory_since_is_refused_with_an_explanation(
    api: TestClient, admin: TestClient, world: World
) -> None:
    path = _opted_in(api)
    settings_path = f"/admin/v1/studios/{world.studio_a}/communication-settings"
    enforced = [
        {
            "messageCategory": "NEWSLETTER",
            "channels": [{"communicationChannel": "EMAIL", "active": True, "customerOverridable": False}],
        }
    ]
    assert admin.put(settings_path, json=enforced).status_code == 200, admin.put(
        settings_path, json=enforced
    ).text
    page = api.get(path, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "This cannot be switched off here" in page.text
    assert "<form" not in page.text
    refused = api.post(path, content=ONE_CLICK, headers={**FORM, "Accept-Language": "en"})
    assert refused.status_code == 409
    assert "This cannot be switched off here" in refused.text
    assert effective(api)["NEWSLETTER:EMAIL"] is True
    assert [e["source"] for e in history(api)] == ["API_KEY"]


def test_a_channel_no_longer_offered_needs_no_unsubscribe(
    api: TestClient, admin: TestClient, world: World
) -> None:
    path = _opted_in(api)
    only_contract = [
        {
            "messageCategory": "CONTRACT",
            "channels": [{"communicationChannel": "EMAIL", "active": True, "customerOverridable": False}],
        }
    ]
    assert (
        admin.put(
            f"/admin/v1/studios/{world.studio_a}/communication-settings", json=only_contract
        ).status_code
        == 200
    )
    response = api.post(path, content=ONE_CLICK, headers={**FORM, "Accept-Language": "en"})
    assert response.status_code == 200
    assert "You are unsubscribed" in response.text
    assert len(history(api)) == 1


def test_an_oversized_body_is_refused_without_unsubscribing(api: TestClient) -> None:
    path = _opted_in(api)
    padding = b"&x=" + b"a" * (20 * 1024)  # past the 16 KiB a form may have
    response = api.post(path, content=ONE_CLICK + padding, headers=FORM)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert effective(api)["NEWSLETTER:EMAIL"] is True
    assert [entry["source"] for entry in history(api)] == ["API_KEY"]
