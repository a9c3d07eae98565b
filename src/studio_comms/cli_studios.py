"""``studio-comms studios …``: create a studio, change its settings and its information."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape

from studio_comms.admin.onboarding import create_studio_with_offer
from studio_comms.cli_worker import load_settings
from studio_comms.core.clock import utcnow
from studio_comms.core.errors import AppError
from studio_comms.core.messages import render
from studio_comms.db.database import open_database
from studio_comms.studios.information_schemas import StudioInformationUpdate
from studio_comms.studios.schemas import ConsentEnforcement, StudioCreate, StudioUpdate
from studio_comms.studios.service import get_information, set_information, update_studio

studios_app = typer.Typer(help="Studios.", no_args_is_help=True)
console = Console()
StudioOption = Annotated[int, typer.Option("--studio", min=1, help="Studio id")]
EnforcementOption = Annotated[
    ConsentEnforcement | None,
    typer.Option(
        "--consent-enforcement",
        help="RECORD: store OUTGOING communications the preferences deny, marked; REJECT: refuse them "
        "(409). Leave out to follow the default (RECORD).",
    ),
]


def fail(error: AppError) -> NoReturn:
    message = render(error.catalogue_key, "en", error.args_for_message)
    console.print(f"[red]{error.error_code}[/red]: {escape(message)}")
    raise typer.Exit(1)


def _invalid(what: str, error: ValidationError) -> NoReturn:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    console.print(f"[red]Invalid {what}[/red] at {escape(where or '(top)')}: {escape(first['msg'])}")
    raise typer.Exit(1) from error


def _print(model: BaseModel) -> None:
    print(json.dumps(model.model_dump(mode="json", exclude_none=True)))


@studios_app.command("create")
def studios_create(
    name: Annotated[str, typer.Option(help="Studio name")],
    language: Annotated[str, typer.Option()] = "de",
    time_zone: Annotated[str, typer.Option("--time-zone")] = "Europe/Berlin",
    consent_enforcement: EnforcementOption = None,
) -> None:
    """Create a studio with the default communication settings."""
    try:
        data = StudioCreate(
            name=name, language=language, timeZone=time_zone, consentEnforcement=consent_enforcement
        )
    except ValidationError as error:
        _invalid("studio", error)
    with open_database(load_settings().database_url) as database, database.transaction() as tx:
        studio = create_studio_with_offer(tx, data, now=utcnow())
    _print(studio)


@studios_app.command("update")
def studios_update(
    studio: StudioOption,
    name: Annotated[str | None, typer.Option(help="Studio name")] = None,
    language: Annotated[str | None, typer.Option()] = None,
    time_zone: Annotated[str | None, typer.Option("--time-zone")] = None,
    consent_enforcement: EnforcementOption = None,
) -> None:
    """Change the options given (as PATCH /admin/v1/studios/{id}); a mode given counts as chosen."""
    try:
        data = StudioUpdate(
            name=name, language=language, timeZone=time_zone, consentEnforcement=consent_enforcement
        )
    except ValidationError as error:
        _invalid("studio", error)
    try:
        with open_database(load_settings().database_url) as database, database.transaction() as tx:
            result = update_studio(tx, studio, data)
    except AppError as error:
        fail(error)
    _print(result)


@studios_app.command("information")
def studios_information(
    studio: StudioOption,
    file: Annotated[
        Path | None,
        typer.Argument(exists=True, dir_okay=False, help="JSON object to set (as PUT …/information)"),
    ] = None,
) -> None:
    """Print the studio's information (GET /v1/studios/information), or replace it with FILE's."""
    data = None
    if file is not None:
        try:
            data = StudioInformationUpdate.model_validate_json(file.read_bytes())
        except ValidationError as error:
            _invalid("information file", error)
    try:
        with open_database(load_settings().database_url) as database, database.transaction() as tx:
            result = get_information(tx, studio) if data is None else set_information(tx, studio, data)
    except AppError as error:
        fail(error)
    _print(result)
