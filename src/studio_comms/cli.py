"""The ``studio-comms`` command: serve, worker, migrate, demo and the operator commands.

Each command is an entry point: it opens one transaction and commits it once.
"""

from __future__ import annotations

import csv
import json
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from studio_comms.apikeys.schemas import ApiKeyCreate
from studio_comms.apikeys.service import create_key, list_keys
from studio_comms.cli_secrets import secrets_app
from studio_comms.cli_studios import fail as _fail
from studio_comms.cli_studios import studios_app
from studio_comms.cli_worker import configure_logging, load_settings, outbox_app, worker
from studio_comms.core import metrics
from studio_comms.core.auth import Scope
from studio_comms.core.clock import utcnow
from studio_comms.core.errors import AppError
from studio_comms.core.metrics import METRICS_DIRECTORY
from studio_comms.core.openapi import CANONICAL_ID, INT64_MAX
from studio_comms.customers.schemas import CustomerUpsert
from studio_comms.customers.service import upsert_customer
from studio_comms.db.database import Database, open_database
from studio_comms.db.migrate import upgrade
from studio_comms.demo import ensure_demo, preference_center_url
from studio_comms.main import create_app
from studio_comms.messages.wiring import describe_email
from studio_comms.preferences.offer import replace_offer
from studio_comms.preferences.schemas import OfferedCategory
from studio_comms.server import default_process_count, run_processes, server_config
from studio_comms.settings import Settings
from studio_comms.studios.service import require_studio

app = typer.Typer(help="studio-comms: customer communication for fitness studios.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
customers_app = typer.Typer(help="Customers.", no_args_is_help=True)
settings_app = typer.Typer(help="Studio communication settings.", no_args_is_help=True)
app.add_typer(studios_app, name="studios")
app.add_typer(keys_app, name="keys")
app.add_typer(customers_app, name="customers")
app.add_typer(settings_app, name="settings")
app.add_typer(outbox_app, name="outbox")
app.add_typer(secrets_app, name="secrets")
app.command()(worker)
console = Console()
StudioOption = Annotated[int, typer.Option("--studio", min=1, help="Studio id")]


def _database(settings: Settings | None = None) -> AbstractContextManager[Database]:
    return open_database((settings or load_settings()).database_url)


@app.command()
def migrate() -> None:
    """Apply the database migrations."""
    settings = load_settings()
    upgrade(settings.database_url)
    console.print("Database is at the latest schema.")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: STUDIO_COMMS_HOST or 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="Default: STUDIO_COMMS_PORT or 8000")] = None,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="Run no outbox worker here")] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="API processes. Default: 1 on SQLite; on PostgreSQL one per core when "
            "STUDIO_COMMS_REDIS_URL is set (rate limits counted together), else 1",
        ),
    ] = None,
) -> None:
    """Apply migrations, then serve the API, with an outbox worker unless ``--no-worker`` (in one
    process of several)."""
    settings = load_settings()
    # Where it listens is part of the settings: the default public URL of member links follows it.
    settings = settings.model_copy(update={"host": host or settings.host, "port": port or settings.port})
    processes = workers or default_process_count(settings)
    if processes > 1 and settings.redis_url is None:
        console.print(
            "[red]--workers above 1 needs STUDIO_COMMS_REDIS_URL[/red]: each process would count "
            "rate limits on its own, letting a key through several times its limit."
        )
        raise typer.Exit(2)
    upgrade(settings.database_url)
    configure_logging()
    # Before the processes are forked and any app is made: all of them count in these files.
    metrics.use_directory(settings.var_dir / METRICS_DIRECTORY)
    if not no_worker:
        # Plain print: where e-mail goes (SMTP, or .eml files under the var directory) is the
        # first thing to check when a message does not arrive.
        print(describe_email(settings), flush=True)
    if processes > 1:
        run_processes(settings, processes, embedded_worker=not no_worker)
        return
    app = create_app(settings, embedded_worker=not no_worker)
    uvicorn.Server(server_config(app, settings, host=settings.host, port=settings.port)).run()


@app.command()
def demo() -> None:
    """Seed the demo studio on first start and print its API key (``make run``)."""
    settings = load_settings()
    upgrade(settings.database_url)
    with _database(settings) as database:
        result = ensure_demo(database, settings.var_dir / "demo.json", now=utcnow())
        url = preference_center_url(database, settings, result, now=utcnow())
    if result.created:
        console.print(f"Seeded demo studio {result.studio_id} with customers 1-5.")
    # Plain print: scripts and people grep for exactly these lines.
    print(f"Demo API key: {result.api_key}", flush=True)
    print(f"Preference center for demo customer 1: {url}", flush=True)


@keys_app.command("create")
def keys_create(
    studio: StudioOption,
    name: Annotated[str, typer.Option(help="What the key is for")],
    scope: Annotated[list[Scope] | None, typer.Option(help="Repeat for several; default: all")] = None,
) -> None:
    """Create an API key; the key is printed once and stored only as a hash."""
    try:
        with _database() as database, database.transaction() as tx:
            require_studio(tx, studio)
            created = create_key(
                tx, studio, ApiKeyCreate(name=name, scopes=scope or list(Scope)), now=utcnow()
            )
    except AppError as error:
        _fail(error)
    print(json.dumps(created.model_dump(mode="json")))


@keys_app.command("list")
def keys_list(studio: StudioOption) -> None:
    """The studio's keys without secrets: scopes, revocation, activation confirmed by the integration."""
    try:
        with _database() as database, database.transaction() as tx:
            require_studio(tx, studio)
            keys = list_keys(tx, studio)
    except AppError as error:
        _fail(error)
    print(json.dumps([key.model_dump(mode="json", exclude_none=True) for key in keys]))


@settings_app.command("set")
def settings_set(
    studio: StudioOption,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON array of settings")],
) -> None:
    """Replace the studio's communication settings with the JSON file's (as PUT communication-settings)."""
    try:
        body = TypeAdapter(list[OfferedCategory]).validate_json(file.read_bytes())
    except ValidationError as error:
        first = error.errors()[0]
        console.print(
            f"[red]Invalid settings file[/red] at {escape(str(first['loc']))}: {escape(first['msg'])}"
        )
        raise typer.Exit(1) from error
    try:
        with _database() as database, database.transaction() as tx:
            require_studio(tx, studio)
            result = replace_offer(tx, studio, body)
    except AppError as error:
        _fail(error)
    print(json.dumps([entry.model_dump(mode="json", exclude_none=True) for entry in result]))


@customers_app.command("import")
def customers_import(
    studio: StudioOption,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV with a header row")],
) -> None:
    """Create or update customers from a CSV file, all or nothing.

    Columns: customerId, firstName, lastName, and optionally email, phoneNumber, language,
    customerNumber (unique in the studio), status (MEMBER, PROSPECT, FORMER_MEMBER; default MEMBER).
    """
    rows = _read_customer_rows(file)
    now = utcnow()
    created = 0
    line = 0
    try:
        with (
            _database() as database,
            database.transaction() as tx,
            Progress(console=console) as progress,
        ):
            require_studio(tx, studio)
            task = progress.add_task("Importing customers", total=len(rows))
            for row_line, customer_id, data in rows:
                line = row_line
                _, was_created = upsert_customer(tx, studio, customer_id, data, now=now)
                created += was_created
                progress.advance(task)
    except AppError as error:
        if line:
            # What only the studio can tell (a local phone number needs its country): name the row.
            console.print(f"[red]{escape(str(file))}:{line}:[/red] invalid customer row")
        _fail(error)
    console.print(f"Imported {len(rows)} customers ({created} new, {len(rows) - created} updated).")


def _read_customer_rows(file: Path) -> list[tuple[int, int, CustomerUpsert]]:
    """(line, customerId, details) of each row."""
    rows: list[tuple[int, int, CustomerUpsert]] = []
    with file.open(newline="", encoding="utf-8-sig") as handle:
        for line, record in enumerate(csv.DictReader(handle), start=2):
            fields = {key: value for key, value in record.items() if key and value not in ("", None)}
            raw_id = fields.pop("customerId", "")
            try:
                # The same rule as for path ids: "+5", "1_0" or " 7" are not customer numbers.
                if not CANONICAL_ID.match(raw_id) or int(raw_id) > INT64_MAX:
                    raise ValueError(f"customerId {raw_id!r} is not a positive int64")
                customer_id = int(raw_id)
                rows.append((line, customer_id, CustomerUpsert.model_validate(fields)))
            except ValueError as error:
                # ValidationError is a ValueError too; either way: name the line, import nothing.
                console.print(
                    f"[red]{escape(str(file))}:{line}:[/red] invalid customer row: {escape(str(error))}"
                )
                raise typer.Exit(1) from error
    return rows
