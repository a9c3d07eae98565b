"""``studio-comms secrets …``: the key that seals provider credentials and webhook secrets at rest.

Rotating a key (README, "Secrets at rest"): ``new-key`` prints a key; every process gets
``STUDIO_COMMS_SECRET_KEY=NEW,OLD`` (the first seals, all open) and restarts; ``rotate`` seals
every stored secret again with NEW; then OLD can go.
"""

from __future__ import annotations

import typer
from rich.console import Console

from studio_comms.cli_worker import load_settings
from studio_comms.core import secrets
from studio_comms.db.database import open_database
from studio_comms.db.migrate import upgrade
from studio_comms.mailevents import service as mailevents
from studio_comms.sms import service as sms
from studio_comms.studios.service import all_studios
from studio_comms.webhooks import service as webhooks

secrets_app = typer.Typer(help="The key sealing stored credentials (rotation).", no_args_is_help=True)
console = Console()


@secrets_app.command("new-key")
def new_key() -> None:
    """Print a new key for STUDIO_COMMS_SECRET_KEY (put it first, keep the old one after it)."""
    print(secrets.new_key())


@secrets_app.command("rotate")
def rotate() -> None:
    """Seal every stored secret again with the first configured key (one transaction: all or none)."""
    settings = load_settings()
    upgrade(settings.database_url)
    box = secrets.install_from(settings)
    sealed = 0
    with open_database(settings.database_url) as database, database.transaction() as tx:
        for studio_id in all_studios(tx):
            sealed += sms.reseal(tx, studio_id, box) + 2 * webhooks.reseal(tx, studio_id, box)
            sealed += mailevents.reseal(tx, studio_id, box)
    # Plain print: scripts check this line.
    print(f"Sealed {sealed} stored secrets with the first key.", flush=True)
