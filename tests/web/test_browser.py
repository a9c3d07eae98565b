"""The preference center in a real browser (Debian's Chromium, JavaScript off) against a live server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from studio_comms.web.texts import TEXT_VERSION
from studio_comms.web.unsubscribe import MAIL_CLIENT_TEXT_VERSION
from tests.factories import World
from tests.web.helpers import path_of

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
USER_AGENT = "studio-comms-e2e/1.0 (Chromium)"

if not os.access(CHROMIUM, os.X_OK):
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"{CHROMIUM} is missing; .ci/run installs it (apt-get install chromium)")
    pytest.skip(f"{CHROMIUM} is missing (make test installs it)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def server(live: tuple[FastAPI, World]) -> Iterator[tuple[str, World]]:
    """The live app served by uvicorn on a free loopback port, in a thread."""
    app, world = live
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", world
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _api(base: str, world: World) -> httpx.Client:
    return httpx.Client(base_url=base, headers={"X-API-KEY": world.key_a}, timeout=30)


def test_a_member_changes_two_boxes_confirms_and_sees_the_saved_state(server: tuple[str, World]) -> None:
    base, world = server
    with _api(base, world) as api:
        link = api.post("/v1/communications/1/preference-links", json={"language": "en"}).json()["url"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(
                java_script_enabled=False, user_agent=USER_AGENT, viewport={"width": 900, "height": 1100}
            )
            page = context.new_page()
            response = page.goto(base + path_of(link))
            assert response is not None
            assert response.status == 200
            assert page.locator("h1").inner_text() == "Communication preferences"
            # Labelled checkboxes grouped per category; studio-enforced ones disabled with a reason.
            contract_email = page.get_by_role("group", name="Contract").get_by_label("Email")
            assert contract_email.is_disabled()
            assert contract_email.is_checked()
            newsletter_sms = page.get_by_role("group", name="Newsletter").get_by_label("SMS")
            appointment_email = page.get_by_role("group", name="Appointments").get_by_label("Email")
            assert not newsletter_sms.is_checked()
            assert appointment_email.is_checked()
            page.screenshot(path=str(ARTIFACTS / "preference-center.png"), full_page=True)

            newsletter_sms.check()  # by mouse
            appointment_email.focus()  # and by keyboard
            page.keyboard.press("Space")
            assert not appointment_email.is_checked()
            page.get_by_role("button", name="Review changes").click()

            assert page.locator("h1").inner_text() == "Please confirm your changes"
            changes = page.locator("ul.changes li").all_inner_texts()
            assert changes == ["Appointments by Email: off", "Newsletter by SMS: on"]
            page.screenshot(path=str(ARTIFACTS / "preference-center-confirm.png"), full_page=True)
            with httpx.Client(base_url=base, headers={"X-API-KEY": world.key_a}) as api:
                assert (
                    api.get("/v1/communications/1/communication-preferences/history").json()["result"] == []
                )
            page.get_by_role("button", name="Confirm").click()

            assert page.get_by_role("status").inner_text() == "Your choices were saved."
            assert page.get_by_role("group", name="Newsletter").get_by_label("SMS").is_checked()
            assert not page.get_by_role("group", name="Appointments").get_by_label("Email").is_checked()
            page.screenshot(path=str(ARTIFACTS / "preference-center-saved.png"), full_page=True)
        finally:
            browser.close()

    with _api(base, world) as api:
        state = {
            (entry["messageCategory"], channel["communicationChannel"]): channel["active"]
            for entry in api.get("/v1/communications/1/communication-preferences").json()
            for channel in entry["channels"]
        }
        assert state[("NEWSLETTER", "TEXT_MESSAGE")] is True
        assert state[("APPOINTMENT", "EMAIL")] is False
        entries = api.get("/v1/communications/1/communication-preferences/history").json()["result"]
    assert [(e["messageCategory"], e["communicationChannel"], e["active"]) for e in entries] == [
        ("NEWSLETTER", "TEXT_MESSAGE", True),
        ("APPOINTMENT", "EMAIL", False),
    ]
    for entry in entries:
        assert entry["source"] == "PREFERENCE_CENTER"
        assert entry["ipAddress"] == "127.0.0.1"
        assert entry["userAgent"] == USER_AGENT
        assert entry["textVersion"] == TEXT_VERSION
    assert (ARTIFACTS / "preference-center.png").stat().st_size > 10_000


def test_curl_one_click_unsubscribe_against_the_live_server(server: tuple[str, World]) -> None:
    base, world = server
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    with _api(base, world) as api:
        opt_in = [
            {"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}
        ]
        assert api.put("/v1/communications/1/communication-preferences", json=opt_in).status_code == 200
        issued = api.post(
            "/v1/communications/1/unsubscribe-links",
            json={"messageCategory": "NEWSLETTER", "communicationChannel": "EMAIL"},
        ).json()
    url = base + path_of(issued["url"])
    post_body = issued["listUnsubscribeHeaders"]["List-Unsubscribe-Post"]
    result = subprocess.run(
        [
            "curl",
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{redirect_url}",
            "-X",
            "POST",
            "--data",
            post_body,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert result.stdout.strip() == "200"
    with _api(base, world) as api:
        entry = api.get("/v1/communications/1/communication-preferences/history").json()["result"][0]
    assert (entry["source"], entry["communicationChannel"], entry["active"]) == (
        "UNSUBSCRIBE_LINK",
        "EMAIL",
        False,
    )
    assert entry["userAgent"].startswith("curl/")
    assert entry["textVersion"] == MAIL_CLIENT_TEXT_VERSION
