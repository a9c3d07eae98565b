"""The demo studio of ``make run``: seeded on first start, its key printed on every start.

API keys are stored hashed, so the demo key's plaintext lives in ``var/demo.json`` (mode 0600).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from studio_comms.admin.onboarding import create_studio_with_offer
from studio_comms.apikeys.schemas import ApiKeyCreate
from studio_comms.apikeys.service import authenticate, create_key
from studio_comms.core.auth import Scope
from studio_comms.core.errors import Unauthenticated
from studio_comms.customers.schemas import CustomerUpsert
from studio_comms.customers.service import upsert_customer
from studio_comms.db.database import Database
from studio_comms.links.schemas import PreferenceLinkCreate
from studio_comms.links.secret import LazySigner
from studio_comms.links.service import issue_preference_link
from studio_comms.settings import Settings
from studio_comms.studios.schemas import StudioCreate

DEMO_CUSTOMERS = (
    (1, "Erika", "Mustermann", "erika@example.org", "+4915112345671", "de"),
    (2, "Max", "Mustermann", "max@example.org", "+4915112345672", "de"),
    (3, "Jane", "Doe", "jane@example.org", "+4915112345673", "en"),
    (4, "John", "Smith", "john@example.org", None, "en"),
    (5, "Lena", "Schulz", None, "+4915112345675", None),
)


@dataclass(frozen=True)
class Demo:
    studio_id: int
    api_key: str
    created: bool


def ensure_demo(database: Database, state_file: Path, *, now: datetime) -> Demo:
    """Seed the demo studio unless the one recorded in ``state_file`` still exists with its key."""
    existing = _load(state_file)
    if existing is not None and _still_valid(database, existing):
        return Demo(studio_id=int(existing["studioId"]), api_key=str(existing["apiKey"]), created=False)
    with database.transaction() as tx:
        studio = create_studio_with_offer(tx, StudioCreate(name="Demo Studio", language="de"), now=now)
        studio_id = studio.studioId
        for customer_id, first, last, email, phone, language in DEMO_CUSTOMERS:
            data = CustomerUpsert(
                firstName=first, lastName=last, email=email, phoneNumber=phone, language=language
            )
            upsert_customer(tx, studio_id, customer_id, data, now=now)
        api_key = create_key(
            tx, studio_id, ApiKeyCreate(name="demo (all scopes)", scopes=list(Scope)), now=now
        ).apiKey
    _save(state_file, {"studioId": studio_id, "apiKey": api_key})
    return Demo(studio_id=studio_id, api_key=api_key, created=True)


def preference_center_url(database: Database, settings: Settings, demo: Demo, *, now: datetime) -> str:
    """A fresh 30-day preference-center link for demo customer 1."""
    signer = LazySigner(settings).get()
    with database.transaction(write=False) as tx:
        link = issue_preference_link(
            tx,
            signer,
            demo.studio_id,
            1,
            PreferenceLinkCreate(),
            base_url=settings.public_base_url,
            now=now,
        )
    return link.url


def _still_valid(database: Database, state: dict[str, object]) -> bool:
    api_key = state.get("apiKey")
    if not isinstance(api_key, str):
        return False
    with database.read() as tx:
        try:
            # A key's studio always exists: deleting a studio deletes its keys.
            return authenticate(tx, api_key).studio_id == state.get("studioId")
        except Unauthenticated:
            return False


def _load(state_file: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(state_file.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _save(state_file: Path, data: dict[str, object]) -> None:
    state_file.parent.mkdir(parents=True, exist_ok=True)
    # Created with 0600 from the start: the key must never be readable by others, not even briefly.
    descriptor = os.open(state_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(data, handle)
    os.chmod(state_file, 0o600)
