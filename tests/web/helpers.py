"""Issuing member links through the API and reading the pages' forms (no browser)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import select

from studio_comms.db.database import Database
from studio_comms.outbox.models import OutboxItem
from tests.dbtools import orm

PREFS = "/v1/communications/{customer}/communication-preferences"


def path_of(url: str) -> str:
    return urlsplit(url).path


def preference_link(api: TestClient, customer: int = 1, **body: Any) -> str:
    response = api.post(f"/v1/communications/{customer}/preference-links", json=body or None)
    assert response.status_code == 200, response.text
    return path_of(response.json()["url"])


def unsubscribe_link(api: TestClient, category: str, channel: str, customer: int = 1) -> str:
    response = api.post(
        f"/v1/communications/{customer}/unsubscribe-links",
        json={"messageCategory": category, "communicationChannel": channel},
    )
    assert response.status_code == 200, response.text
    return path_of(response.json()["url"])


def hidden(html: str, name: str) -> list[str]:
    values = re.findall(rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)"', html)
    return [unescape(v) for v in values]


def checked(html: str) -> set[str]:
    """The slots whose box is ticked (``NEWSLETTER:EMAIL``)."""
    return set(re.findall(r'name="on" value="([A-Z_]+:[A-Z_]+)" checked', html))


def disabled(html: str) -> set[str]:
    return set(re.findall(r'name="on" value="([A-Z_]+:[A-Z_]+)"(?: checked)? disabled', html))


def review_form(page_html: str, ticked: set[str]) -> dict[str, Any]:
    """What a browser submits after the member leaves exactly ``ticked`` (enabled) boxes ticked."""
    return {"csrf": hidden(page_html, "csrf")[0], "was": hidden(page_html, "was"), "on": sorted(ticked)}


def confirm_form(confirm_html: str) -> dict[str, Any]:
    return {
        "csrf": hidden(confirm_html, "csrf")[0],
        "textVersion": hidden(confirm_html, "textVersion")[0],
        "set": hidden(confirm_html, "set"),
    }


def effective(api: TestClient, customer: int = 1) -> dict[str, bool]:
    response = api.get(PREFS.format(customer=customer))
    assert response.status_code == 200, response.text
    return {
        f"{entry['messageCategory']}:{channel['communicationChannel']}": channel["active"]
        for entry in response.json()
        for channel in entry["channels"]
    }


def history(api: TestClient, customer: int = 1) -> list[dict[str, Any]]:
    response = api.get(PREFS.format(customer=customer) + "/history")
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()["result"]
    return result


def preference_events(db: Database, studio_id: int) -> list[int]:
    with orm(db) as session:
        return list(
            session.scalars(
                select(OutboxItem.entity_id).where(
                    OutboxItem.studio_id == studio_id,
                    OutboxItem.event_type == "CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED",
                )
            )
        )
