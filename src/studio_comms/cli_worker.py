"""``studio-comms worker`` and ``studio-comms outbox …``: running and inspecting the outbox."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta
from types import FrameType
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from studio_comms.background import build_worker, worker_engine_options
from studio_comms.core import metrics
from studio_comms.core.clock import utcnow
from studio_comms.core.metrics import METRICS_DIRECTORY
from studio_comms.db.database import open_database
from studio_comms.db.migrate import upgrade
from studio_comms.messages.wiring import describe_email
from studio_comms.outbox import queue
from studio_comms.outbox import stats as outbox_stats
from studio_comms.outbox.service import WEBHOOK_KIND
from studio_comms.settings import Settings
from studio_comms.webhooks.deliveries import reopen_dead

outbox_app = typer.Typer(help="The outbox: queued side effects (webhooks).", no_args_is_help=True)
console = Console()


def load_settings() -> Settings:
    """The settings from the environment; a bad value ends the command with a message naming it."""
    try:
        return Settings()
    except ValidationError as error:
        for problem in error.errors():
            name = "STUDIO_COMMS_" + "_".join(str(part) for part in problem["loc"]).upper()
            message = str(problem["msg"]).removeprefix("Value error, ")
            console.print(f"[red]Invalid configuration[/red] {escape(name)}: {escape(message)}")
        raise typer.Exit(2) from None


def configure_logging() -> None:
    """Worker lag and failures go to stderr (uvicorn configures only its own loggers)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # A line per webhook request would drown the worker's own summary and failure lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def worker() -> None:
    """Run an outbox worker until SIGTERM or SIGINT; items in flight are finished first."""
    settings = load_settings()
    upgrade(settings.database_url)
    configure_logging()
    metrics.use_directory(settings.var_dir / METRICS_DIRECTORY)  # counted with `serve`'s processes
    print(describe_email(settings), flush=True)
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger("studio_comms.worker").info("%s received: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    with open_database(settings.database_url, **worker_engine_options(settings)) as database:
        running = build_worker(settings, database)
        try:
            running.run(stop)
        finally:
            running.close()


@outbox_app.command("stats")
def stats() -> None:
    """Pending, leased, dead and done items per kind, and how long the oldest due one waits."""
    with open_database(load_settings().database_url) as database, database.read() as tx:
        rows = outbox_stats.stats(tx, now=utcnow())
    table = Table("kind", "pending", "leased", "dead", "done", "oldest due (s)")
    for row in rows:
        oldest = "-" if row.oldest_due_seconds is None else f"{row.oldest_due_seconds:.1f}"
        table.add_row(row.kind, str(row.pending), str(row.leased), str(row.dead), str(row.done), oldest)
    console.print(table)


@outbox_app.command("retry-dead")
def retry_dead(
    kind: Annotated[str | None, typer.Option(help="Only items of this kind (event, webhook)")] = None,
) -> None:
    """Make dead items due again, with a fresh retry schedule."""
    now = utcnow()
    with open_database(load_settings().database_url) as database, database.transaction() as tx:
        revived = queue.retry_dead(tx, now=now, kind=kind)
        deliveries = [(item.studio_id, item.entity_id) for item in revived if item.kind == WEBHOOK_KIND]
        reopen_dead(tx, deliveries, now=now)
    console.print(f"{len(revived)} dead items are due again.")


@outbox_app.command("purge")
def purge(
    older_than_days: Annotated[float, typer.Option(min=0, help="Keep items finished more recently")] = 7,
) -> None:
    """Delete items that finished successfully before the given age (dead ones stay)."""
    with open_database(load_settings().database_url) as database, database.transaction() as tx:
        purged = queue.purge_done(tx, before=utcnow() - timedelta(days=older_than_days))
    console.print(f"{purged} finished items deleted.")
