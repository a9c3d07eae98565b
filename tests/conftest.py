"""Test databases and apps.

``STUDIO_COMMS_TEST_DB`` picks the database of this run (``sqlite``, the default, or ``postgres``);
``make test`` runs the suite once per database. Each run builds its own database by running the
migrations, so runs never see each other's rows; each test runs inside a transaction that is
rolled back afterwards (tests that need committed data use ``committed`` fixtures and clean up).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

from studio_comms.db.database import ConnectionBoundDatabase, Database
from studio_comms.db.engine import make_engine, normalize_url
from studio_comms.db.migrate import upgrade
from studio_comms.main import create_app
from studio_comms.settings import Settings
from tests.cleanup import purge_studios
from tests.factories import World, make_world

ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
# One key seals the stored secrets of every app, worker and `serve` process of the run (they
# inherit the environment), so no test writes a key file into the working directory.
SECRET_KEY = "dGVzdC1zZWNyZXQta2V5LTAxMjM0NTY3ODlhYmNkZWY="
os.environ.setdefault("STUDIO_COMMS_SECRET_KEY", SECRET_KEY)
LINK_SECRET = "test-link-secret-0123456789abcdefghijklmnop"
PUBLIC_URL = "https://members.example.org"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def backend() -> str:
    return os.environ.get("STUDIO_COMMS_TEST_DB", "sqlite")


def postgres_admin_url() -> str:
    return os.environ.get("STUDIO_COMMS_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``postgres_only`` tests run in the PostgreSQL run of ``make test`` (row locks, several workers)."""
    if backend() == "postgres":
        return
    skip = pytest.mark.skip(reason="PostgreSQL only: runs in the PostgreSQL run of make test")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if backend() == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "studio-comms-test.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield url
        return
    admin_url = postgres_admin_url()
    name = f"sc_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        outer = connection.begin()
        yield connection
        outer.rollback()


@pytest.fixture
def db(connection: Connection) -> Database:
    return ConnectionBoundDatabase(connection)


class FixedClock:
    """Time stands still unless a test moves it."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        admin_token=ADMIN_TOKEN,  # type: ignore[arg-type]
        link_secret=LINK_SECRET,  # type: ignore[arg-type]
        public_url=PUBLIC_URL,
    )


@pytest.fixture
def app(settings: Settings, db: Database, clock: FixedClock) -> FastAPI:
    return create_app(settings, database=db, clock=clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def admin(app: FastAPI) -> Iterator[TestClient]:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with TestClient(app, headers=headers, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def world(db: Database, clock: FixedClock) -> World:
    """Two studios with customers 1-3 each and an all-scope key each (see ``factories``)."""
    return make_world(db, now=clock.now)


@pytest.fixture
def api(client: TestClient, world: World) -> TestClient:
    """A client with studio A's all-scope key."""
    client.headers["X-API-KEY"] = world.key_a
    return client


@pytest.fixture
def committed_world(engine: Engine, clock: FixedClock) -> Iterator[World]:
    """Committed studios A and B (as ``world``), for apps and processes on real connections; purged after."""
    committed = make_world(Database(engine), now=clock.now)
    try:
        yield committed
    finally:
        purge_studios(engine, [committed.studio_a, committed.studio_b])


@pytest.fixture
def live(
    engine: Engine, settings: Settings, clock: FixedClock, committed_world: World
) -> tuple[FastAPI, World]:
    """Committed studios A and B and an app on real connections, for concurrency tests; purged after."""
    return create_app(settings, database=Database(engine), clock=clock), committed_world


@pytest.fixture(scope="session")
def openapi_document() -> dict[str, Any]:
    """``/openapi.json`` as a client downloads it (no database needed to publish it)."""
    app = create_app(Settings(database_url="sqlite:///:memory:"))
    with TestClient(app) as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document
