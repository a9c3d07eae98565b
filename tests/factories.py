"""Plain factory functions: rows made through the services, as the API would make them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from studio_comms.admin.onboarding import create_studio_with_offer
from studio_comms.apikeys.schemas import ApiKeyCreate
from studio_comms.apikeys.service import create_key
from studio_comms.core.auth import Scope
from studio_comms.customers.schemas import CustomerUpsert
from studio_comms.customers.service import upsert_customer
from studio_comms.db.database import Database
from studio_comms.db.tx import Tx
from studio_comms.studios.schemas import StudioCreate


def make_studio(tx: Tx, *, now: datetime, name: str = "Studio", language: str = "de") -> int:
    return create_studio_with_offer(tx, StudioCreate(name=name, language=language), now=now).studioId


def make_key(
    tx: Tx,
    studio_id: int,
    *,
    now: datetime,
    scopes: list[Scope] | None = None,
    name: str = "test key",
) -> str:
    data = ApiKeyCreate(name=name, scopes=scopes or list(Scope))
    return create_key(tx, studio_id, data, now=now).apiKey


def make_customer(tx: Tx, studio_id: int, customer_id: int, *, now: datetime, **overrides: object) -> int:
    fields: dict[str, object] = {
        "firstName": "Erika",
        "lastName": f"Muster{customer_id}",
        "email": f"member{customer_id}@example.org",
    }
    fields.update(overrides)
    upsert_customer(tx, studio_id, customer_id, CustomerUpsert.model_validate(fields), now=now)
    return customer_id


@dataclass(frozen=True)
class World:
    studio_a: int
    studio_b: int
    key_a: str
    key_b: str
    # A customer number that exists in studio B only: asked for with A's key it must be a 404
    # (a number that exists nowhere proves nothing about tenancy).
    only_in_b: int = 4


def make_world(db: Database, *, now: datetime) -> World:
    """Studios A and B, each with customers 1, 2, 3 (same numbers: tenancy must tell them apart), and
    customer 4 in B only."""
    with db.transaction() as tx:
        studio_a = make_studio(tx, now=now, name="Studio A")
        studio_b = make_studio(tx, now=now, name="Studio B")
        for studio in (studio_a, studio_b):
            for customer_id in (1, 2, 3):
                make_customer(tx, studio, customer_id, now=now)
        make_customer(tx, studio_b, World.only_in_b, now=now)
        key_a = make_key(tx, studio_a, now=now, name="key A")
        key_b = make_key(tx, studio_b, now=now, name="key B")
    return World(studio_a=studio_a, studio_b=studio_b, key_a=key_a, key_b=key_b)
