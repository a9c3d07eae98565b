"""The peer of ``make bench`` (issue 12): a minimal hand-written app serving the same two
communication-preference operations on the same database. Bench only: never shipped, never
imported by ``src/``.

It is what a competent developer writes in an afternoon: FastAPI, ``def`` routes (FastAPI runs them
on its thread pool, as its documentation says for blocking drivers), the stdlib ``sqlite3`` module
or psycopg with one connection per thread, plain SQL, dicts, and one API key compared in
plaintext. It reads and writes the tables our migrations create and our seeding fills, applies the
same decision (block, offer, studio-enforced, choice, default) and answers byte for byte the JSON
our service answers (bench/run.py checks that before it measures). It keeps no consent ledger
(``ledger_entry_id`` is written as 0), writes no outbox event, knows no idempotency key, no rate
limit, no tenancy beyond the one configured studio.

SQLite connections use the pragmas our engine uses (WAL is the file's own setting; synchronous
NORMAL, busy timeout 10 s), so both apps commit with the same durability.

Run: ``PEER_DATABASE_URL=… PEER_API_KEY=… PEER_STUDIO_ID=… uvicorn --factory peer:from_env``.
"""

from __future__ import annotations

import hmac
import os
import sqlite3
import threading
from typing import Annotated, Any

from fastapi import Body, FastAPI, Header
from fastapi.responses import JSONResponse

CATEGORIES = ("CONTRACT", "GENERAL", "APPOINTMENT", "NEWSLETTER", "LOYALTY_PROGRAM")
CHANNELS = ("LETTER", "EMAIL", "TEXT_MESSAGE", "PHONE", "FAX", "CONVERSATION", "CHAT", "OTHER")
CATEGORY_ORDER = {name: i for i, name in enumerate(CATEGORIES)}
CHANNEL_ORDER = {name: i for i, name in enumerate(CHANNELS)}

# X-API-KEY (module level: the routes' string annotations are resolved in these globals)
ApiKey = Annotated[str | None, Header()]

CUSTOMER_EXISTS = "SELECT 1 FROM customers WHERE studio_id = %s AND customer_id = %s"
OFFERS_AND_CHOICES = """
    SELECT s.message_category, s.communication_channel, s.active, s.customer_overridable, c.active
    FROM studio_channel_settings s
    LEFT JOIN customer_channel_choices c
      ON c.studio_id = s.studio_id AND c.customer_id = %s
     AND c.message_category = s.message_category AND c.communication_channel = s.communication_channel
    WHERE s.studio_id = %s
"""
BLOCKED = "SELECT communication_channel FROM suppressions WHERE studio_id = %s AND customer_id = %s"
UPSERT_CHOICE = """
    INSERT INTO customer_channel_choices
      (studio_id, customer_id, message_category, communication_channel, active, ledger_entry_id, updated_at)
    VALUES (%s, %s, %s, %s, %s, 0, CURRENT_TIMESTAMP)
    ON CONFLICT (studio_id, customer_id, message_category, communication_channel)
    DO UPDATE SET active = excluded.active, updated_at = excluded.updated_at
"""


class Db:
    """One connection per thread; ``%s`` placeholders (turned into ``?`` for sqlite3)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = url.startswith("sqlite:///")
        self.local = threading.local()

    def connection(self) -> Any:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            if self.sqlite:
                conn = sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=10)
                conn.execute("PRAGMA synchronous=NORMAL")
            else:
                import psycopg

                conn = psycopg.connect(self.url, autocommit=True)
            self.local.conn = conn
        return conn

    def sql(self, text: str) -> str:
        return text.replace("%s", "?") if self.sqlite else text

    def all(self, text: str, *params: Any) -> list[Any]:
        return list(self.connection().execute(self.sql(text), params).fetchall())

    def write(self, text: str, rows: list[tuple[Any, ...]]) -> None:
        """All rows in one transaction."""
        conn = self.connection()
        if self.sqlite:
            with conn:  # sqlite3 opens the transaction at the first write and commits here
                conn.executemany(self.sql(text), rows)
        else:
            with conn.transaction(), conn.cursor() as cursor:
                cursor.executemany(text, rows)


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"errorMessage": message, "errorCode": code}, status_code=status)


def load_state(db: Db, studio_id: int, customer_id: int) -> dict[tuple[str, str], dict[str, Any]] | None:
    """(category, channel) -> effective ``active`` and ``overridable``; None: no such customer."""
    if not db.all(CUSTOMER_EXISTS, studio_id, customer_id):
        return None
    blocked = {row[0] for row in db.all(BLOCKED, studio_id, customer_id)}
    state = {}
    for category, channel, default, overridable, chosen in db.all(OFFERS_AND_CHOICES, customer_id, studio_id):
        if channel in blocked:
            active, may_change = False, False
        elif not overridable:
            active, may_change = bool(default), False
        else:
            active, may_change = bool(default if chosen is None else chosen), True
        state[(category, channel)] = {
            "active": active,
            "overridable": may_change,
            "blocked": channel in blocked,
        }
    return state


def to_json(state: dict[tuple[str, str], dict[str, Any]]) -> list[dict[str, Any]]:
    categories: dict[str, list[dict[str, Any]]] = {}
    for (category, channel), value in sorted(
        state.items(), key=lambda item: (CATEGORY_ORDER[item[0][0]], CHANNEL_ORDER[item[0][1]])
    ):
        categories.setdefault(category, []).append(
            {
                "communicationChannel": channel,
                "customerOverridable": value["overridable"],
                "active": value["active"],
            }
        )
    return [{"messageCategory": category, "channels": channels} for category, channels in categories.items()]


def requested_changes(
    state: dict[tuple[str, str], dict[str, Any]], body: list[dict[str, Any]]
) -> list[tuple[str, str, bool]] | JSONResponse:
    """The (category, channel, active) rows to write, or the error answer."""
    changes = []
    for entry in body:
        category = entry.get("messageCategory")
        channels = entry.get("channels") or []
        if category not in CATEGORY_ORDER or not isinstance(channels, list):
            return error(400, "VALIDATION_ERROR", "messageCategory: unknown category")
        for wrapper in channels:
            channel = wrapper.get("communicationChannel") if isinstance(wrapper, dict) else None
            active = wrapper.get("active") if isinstance(wrapper, dict) else None
            if channel not in CHANNEL_ORDER or not isinstance(active, bool | None):
                return error(400, "VALIDATION_ERROR", "channels: unknown channel or non-boolean active")
            current = state.get((category, channel))
            if current is None:
                return error(400, "CHANNEL_NOT_OFFERED", f"{category}/{channel} is not offered")
            if active is None or active == current["active"]:
                continue
            if current["blocked"]:
                return error(409, "CHANNEL_SUPPRESSED", f"{channel} is blocked")
            if not current["overridable"]:
                return error(400, "CHANNEL_NOT_OVERRIDABLE", f"{category}/{channel} is set by the studio")
            changes.append((category, channel, active))
    return changes


def create_app(database_url: str, api_key: str, studio_id: int) -> FastAPI:
    db = Db(database_url)
    app = FastAPI()
    counters = {"changes": 0}
    lock = threading.Lock()
    path = "/v1/communications/{customer_id}/communication-preferences"

    def unauthorized(given: str | None) -> JSONResponse | None:
        if given is None or not hmac.compare_digest(given, api_key):
            return error(401, "UNAUTHENTICATED", "missing or unknown API key")
        return None

    @app.get(path)
    def get_preferences(customer_id: int, x_api_key: ApiKey = None) -> Any:
        if refused := unauthorized(x_api_key):
            return refused
        state = load_state(db, studio_id, customer_id)
        if state is None:
            return error(404, "CUSTOMER_NOT_FOUND", "customer not found")
        return to_json(state)

    @app.put(path)
    def put_preferences(
        customer_id: int, body: Annotated[list[dict[str, Any]], Body()], x_api_key: ApiKey = None
    ) -> Any:
        if refused := unauthorized(x_api_key):
            return refused
        state = load_state(db, studio_id, customer_id)
        if state is None:
            return error(404, "CUSTOMER_NOT_FOUND", "customer not found")
        changes = requested_changes(state, body)
        if isinstance(changes, JSONResponse):
            return changes
        if changes:
            db.write(
                UPSERT_CHOICE, [(studio_id, customer_id, cat, ch, active) for cat, ch, active in changes]
            )
            for category, channel, active in changes:
                state[(category, channel)]["active"] = active
            with lock:
                counters["changes"] += len(changes)
        return to_json(state)

    @app.get("/peer/stats")
    def stats() -> dict[str, int]:
        """Effective changes written so far: bench/run.py checks that every PUT really wrote."""
        return dict(counters)

    @app.get("/readyz")
    def ready() -> dict[str, str]:
        db.all(CUSTOMER_EXISTS, studio_id, 0)
        return {"status": "ok"}

    return app


def from_env() -> FastAPI:
    return create_app(
        os.environ["PEER_DATABASE_URL"], os.environ["PEER_API_KEY"], int(os.environ["PEER_STUDIO_ID"])
    )
