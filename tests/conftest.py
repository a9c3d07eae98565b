"""Test databases and apps.

``STUDIO_COMMS_TEST_DB`` picks the database of this run (``sqlite``, the default, or ``postgres``);
``make test`` runs the suite once per database. Every test gets a database of its own, migrated
and empty (``tests.databases``), and the app under test runs the production unit of work on it:
what a test's requests commit is committed, and gone before the next test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine

from studio_comms.db.database import Database
from studio_comms.db.engine import make_engine
from studio_comms.main import create_app
from studio_comms.settings import Settings
from tests.databases import (
    backend,
    empty_postgres,
    migrated_sqlite_template,
    postgres_admin_url,
    postgres_database,
    sqlite_copy,
)
from tests.factories import World, make_world
from tests.servers import UNREACHED_RATE_LIMIT

__all__ = ["ADMIN_TOKEN", "LINK_SECRET", "PUBLIC_URL", "FixedClock", "backend", "postgres_admin_url"]

ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
# One key seals the stored secrets of every app, worker and `serve` process of the run (they
# inherit the environment), so no test writes a key file into the working directory.
SECRET_KEY = "dGVzdC1zZWNyZXQta2V5LTAxMjM0NTY3ODlhYmNkZWY="
os.environ.setdefault("STUDIO_COMMS_SECRET_KEY", SECRET_KEY)
LINK_SECRET = "test-link-secret-0123456789abcdefghijklmnop"
PUBLIC_URL = "https://members.example.org"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``postgres_only`` tests run in the PostgreSQL run of ``make test`` (row locks, several workers)."""
    if backend() == "postgres":
        return
    skip = pytest.mark.skip(reason="PostgreSQL only: runs in the PostgreSQL run of make test")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """SQLite: the path of a migrated template file; PostgreSQL: this process's database's URL."""
    if backend() == "sqlite":
        yield str(migrated_sqlite_template(tmp_path_factory.mktemp("template")))
        return
    with postgres_database() as url:
        yield url


@pytest.fixture
def database_url(migrated_database: str, tmp_path: Path) -> str:
    """The test's own database, migrated and empty."""
    if backend() == "sqlite":
        return sqlite_copy(Path(migrated_database), tmp_path)
    empty_postgres(migrated_database)
    return migrated_database


@pytest.fixture(scope="session")
def _postgres_engine(migrated_database: str) -> Iterator[Engine | None]:
    """PostgreSQL: one pool per test process (its database stays; connecting costs a fork)."""
    if backend() != "postgres":
        yield None
        return
    engine = make_engine(migrated_database)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(database_url: str, _postgres_engine: Engine | None) -> Iterator[Engine]:
    """The engine of the test's database."""
    if _postgres_engine is not None:
        yield _postgres_engine
        return
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test (for driver-level tests)."""
    with engine.connect() as connection:
        outer = connection.begin()
        yield connection
        outer.rollback()


@pytest.fixture
def db(engine: Engine) -> Iterator[Database]:
    """The production ``Database`` on the test's database: what the app under test runs on."""
    database = Database(engine)
    yield database
    database.close()


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
        rate_limit=UNREACHED_RATE_LIMIT,  # the tests of the limit set their own
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
    """Two studios with customers 1-3 each and an all-scope key each (see ``factories``), committed."""
    return make_world(db, now=clock.now)


@pytest.fixture
def api(client: TestClient, world: World) -> TestClient:
    """A client with studio A's all-scope key."""
    client.headers["X-API-KEY"] = world.key_a
    return client


@pytest.fixture
def committed_world(world: World) -> World:
    """``world``: committed, as every test's rows are; for apps and processes of their own."""
    return world


@pytest.fixture
def live(app: FastAPI, committed_world: World) -> tuple[FastAPI, World]:
    """The app and the world: for tests that run their own clients and servers on them."""
    return app, committed_world


@pytest.fixture(scope="session")
def openapi_document() -> dict[str, Any]:
    """``/openapi.json`` as a client downloads it (no database needed to publish it)."""
    app = create_app(Settings(database_url="sqlite:///:memory:"))
    with TestClient(app) as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document
