"""Application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import APIRouter, FastAPI

from studio_comms import __version__
from studio_comms.admin import customers as admin_customers
from studio_comms.admin import keys as admin_keys
from studio_comms.admin import mail_feedback as admin_mail_feedback
from studio_comms.admin import mail_provider as admin_mail_provider
from studio_comms.admin import messages as admin_messages
from studio_comms.admin import sms as admin_sms
from studio_comms.admin import sms_replies as admin_sms_replies
from studio_comms.admin import studios as admin_studios
from studio_comms.api import metrics as metrics_endpoint
from studio_comms.api.hot import HotPaths, plan_hot_routes
from studio_comms.api.ops import bench_router, head_router
from studio_comms.api.ops import router as ops_router
from studio_comms.background import EmbeddedWorker, build_worker, worker_engine_options
from studio_comms.communications import endpoints as communications_endpoints
from studio_comms.core import handlers, secrets
from studio_comms.core.clock import utcnow
from studio_comms.core.middleware import RequestGuardMiddleware
from studio_comms.core.openapi_document import official_style
from studio_comms.core.ratelimit import RateLimiter
from studio_comms.core.runtime import Runtime
from studio_comms.customers import endpoints as customers_endpoints
from studio_comms.db.database import Database
from studio_comms.db.engine import make_engine
from studio_comms.links import endpoints as links_endpoints
from studio_comms.links.secret import LazySigner
from studio_comms.mailevents import endpoints as mailevents_endpoints
from studio_comms.messages import endpoints as messages_endpoints
from studio_comms.outbox import stats as outbox_stats
from studio_comms.preferences import endpoints as preferences_endpoints
from studio_comms.settings import Settings
from studio_comms.sms import endpoints as sms_endpoints
from studio_comms.studios import endpoints as studios_endpoints
from studio_comms.web import pages, render, unsubscribe
from studio_comms.webhooks import endpoints as webhooks_endpoints

DESCRIPTION = """\
Customer communication for fitness studios. The `Customers Communication` operations are
wire-compatible with the Sport Alliance Open API (Magicline / PerfectGym Next): same paths,
operationIds, schemas and status codes. Everything else is an additive extension.
"""


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    clock: Callable[[], datetime] = utcnow,
    embedded_worker: bool = False,
) -> FastAPI:
    """``embedded_worker``: run an outbox worker on a thread of this process while it serves."""
    settings = settings or Settings()
    # Provider credentials and webhook secrets are sealed with this key (generated on first start).
    secrets.install_from(settings)
    database = database or Database(make_engine(settings.database_url, pool_size=settings.db_pool_size))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        worker = _embedded_worker(settings, database, clock) if embedded_worker else None
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                await anyio.to_thread.run_sync(worker.stop)
            database.close()

    app = FastAPI(
        lifespan=lifespan,
        title="studio-comms",
        version=__version__,
        description=DESCRIPTION,
        # One schema per model, named as in the official spec (no -Input/-Output split).
        separate_input_output_schemas=False,
        # A 307 to the path without the slash makes many clients drop a PUT's body: a path with a
        # trailing slash is simply not found.
        redirect_slashes=False,
        # FastAPI's OpenTelemetry hooks look for a configured provider on every request; this
        # service exports no traces, metrics or logs through them.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.runtime = Runtime(
        settings=settings,
        database=database,
        limiter=RateLimiter(
            settings.rate_limit,
            settings.redis_url,
            key_prefix=settings.rate_limit_key_prefix,
            timeout_seconds=settings.redis_timeout_seconds,
            retry_seconds=settings.redis_retry_seconds,
        ),
        clock=clock,
        db_threads=CapacityLimiter(settings.db_pool_size),
        readiness_details={
            "outbox": partial(outbox_stats.readiness, warning_seconds=settings.outbox_lag_warning_seconds)
        },
        scraped_gauges=[outbox_stats.gauges],
    )
    app.state.link_signer = LazySigner(settings)
    app.openapi = official_style(app)  # type: ignore[method-assign]
    handlers.install(app)
    routers = [head_router, preferences_endpoints.router, communications_endpoints.router, ops_router]
    routers += [messages_endpoints.router, studios_endpoints.router, webhooks_endpoints.router]
    routers += [customers_endpoints.router]
    routers += [links_endpoints.router, admin_studios.router, admin_keys.router, admin_customers.router]
    routers += [admin_messages.router, admin_sms.router, admin_sms_replies.router, admin_mail_feedback.router]
    routers += [pages.router, unsubscribe.router, sms_endpoints.router, render.assets]
    routers += [admin_mail_provider.router, mailevents_endpoints.router, metrics_endpoint.router]
    if settings.enable_bench_routes:
        routers.insert(0, bench_router)
    mount_routes(app, routers)
    # Planned now, also with the lane off: a hot route that cannot be planned stops the start.
    plans = plan_hot_routes(app.router.routes)
    # Outermost last: the guard sees every request first, HotPaths what the guard let through.
    if settings.hot_paths:
        app.add_middleware(HotPaths, plans=plans)
    app.add_middleware(RequestGuardMiddleware, settings=settings)
    return app


def mount_routes(app: FastAPI, routers: list[APIRouter]) -> None:
    """The routers' routes straight into the app's route list, hottest first.

    ``include_router`` would wrap each router in a nested router that a request walks through
    (every route of every router before it, through several layers per route): under load that
    was 45 % of a no-work request's CPU (py-spy, docs/benchmarks.md). The routers carry their own
    prefix and tags, so their routes are complete as declared. HEAD's key check comes before the
    preferences' GET, which would otherwise answer a HEAD on its path.
    """
    for router in routers:
        app.router.routes.extend(router.routes)


def _embedded_worker(settings: Settings, database: Database, clock: Callable[[], datetime]) -> EmbeddedWorker:
    """On PostgreSQL the worker gets connections of its own, so it never starves requests of
    theirs. On SQLite it shares the requests' Database: one process, one queue for the write lock."""
    if database.engine.dialect.name == "sqlite":
        return EmbeddedWorker(build_worker(settings, database, clock=clock))
    engine = make_engine(settings.database_url, **worker_engine_options(settings))
    return EmbeddedWorker(build_worker(settings, Database(engine), clock=clock), dispose=engine.dispose)
