"""``GET /metrics``: Prometheus's text format, for a scraper holding the metrics or operator token.

The counted families come from every process (``core.metrics``); the gauges of shared state (the
outbox) are read from the database at scrape time, in a read unit on a database thread (the route
declares no ``Runs.LOOP``: the outbox's backlog may be a long index range).
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import SecretStr

from studio_comms.core import metrics
from studio_comms.core.errors import MetricsUnauthenticated
from studio_comms.core.runtime import Runtime

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def scrape(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    settings = runtime.settings
    if not _allowed(request.headers.get("authorization"), settings.metrics_token, settings.admin_token):
        raise MetricsUnauthenticated(headers={"WWW-Authenticate": "Bearer"})

    def read_gauges(*, on_loop: bool) -> list[Any]:
        now = runtime.clock()
        with runtime.database.unit(write=False, on_loop=on_loop) as tx:
            return [family for gauges in runtime.scraped_gauges for family in gauges(tx, now)]

    families = await runtime.unit_of_work(request.scope, read_gauges)
    body = generate_latest(metrics.collector()) + generate_latest(_Families(families))
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def _allowed(authorization: str | None, *tokens: SecretStr | None) -> bool:
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return False
    # Every configured token compared, so the time taken does not say which one came close.
    matches = [
        hmac.compare_digest(given.strip().encode(), token.get_secret_value().encode())
        for token in tokens
        if token is not None and token.get_secret_value()
    ]
    return any(matches)


class _Families:
    """Families made at scrape time, in the shape ``generate_latest`` reads (a registry's)."""

    def __init__(self, families: list[Any]) -> None:
        self.families = families

    def collect(self) -> list[Any]:
        return self.families
