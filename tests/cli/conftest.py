"""Fixtures of the command-line tests. Each command commits, so these tests commit real rows and
remove every studio they create at the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from studio_comms.main import create_app
from studio_comms.settings import Settings
from tests.cleanup import purge_studios
from tests.conftest import ADMIN_TOKEN


@pytest.fixture
def created_studios(engine: Engine) -> Iterator[list[int]]:
    """Studios a test created through the CLI; purged afterwards, whatever the outcome."""
    studios: list[int] = []
    yield studios
    purge_studios(engine, studios)
    with engine.connect() as connection:
        for studio_id in studios:
            left = connection.execute(
                text("SELECT count(*) FROM studios WHERE id = :studio"), {"studio": studio_id}
            ).scalar_one()
            assert left == 0


@pytest.fixture
def var_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, database_url: str, var_dir: Path) -> CliRunner:
    monkeypatch.setenv("STUDIO_COMMS_DATABASE_URL", database_url)
    monkeypatch.setenv("STUDIO_COMMS_VAR_DIR", str(var_dir))
    return CliRunner()


@pytest.fixture
def committed_client(database_url: str) -> Iterator[TestClient]:
    """An app on the committed database (not the rolled-back test transaction), with the admin token."""
    app = create_app(Settings(database_url=database_url, admin_token=ADMIN_TOKEN))  # type: ignore[arg-type]
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    try:
        with TestClient(app, headers=headers, raise_server_exceptions=False) as client:
            yield client
    finally:
        app.state.runtime.database.engine.dispose()
