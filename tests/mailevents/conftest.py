"""Events about messages the service really sent: the delivery tests' SMTP server and worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.messages.conftest import settings, smtp, worker

__all__ = ["provider", "settings", "smtp", "worker"]


@pytest.fixture
def provider(app: FastAPI) -> Iterator[TestClient]:
    """The relay posting its events: no API key, no operator token."""
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
