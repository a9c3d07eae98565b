from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from studio_comms.apikeys.errors import ApiKeyNotFound
from studio_comms.apikeys.models import ApiKey
from studio_comms.apikeys.repository import ApiKeysRepository, find_active_by_prefix
from studio_comms.apikeys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from studio_comms.core.auth import (
    KEY_MARKER,
    Principal,
    Scope,
    digest_matches,
    generate_key,
    prefix_of,
)
from studio_comms.core.errors import Unauthenticated
from studio_comms.db.rawsql import RawConnection
from studio_comms.studios.service import require_studio


def authenticate(connection: RawConnection, plaintext: str | None) -> Principal:
    prefix = prefix_of(plaintext) if plaintext else None
    key = find_active_by_prefix(connection, prefix) if prefix else None
    if key is None or plaintext is None or not digest_matches(plaintext, key.key_digest):
        raise Unauthenticated()
    return Principal(studio_id=key.studio_id, key_id=key.id, key_name=key.name, scopes=frozenset(key.scopes))


def create_key(session: Session, studio_id: int, data: ApiKeyCreate, *, now: datetime) -> ApiKeyCreated:
    require_studio(session, studio_id)
    new = generate_key()
    scopes = sorted(set(data.scopes), key=list(Scope).index)
    key = ApiKey(
        studio_id=studio_id,
        name=data.name,
        prefix=new.prefix,
        key_digest=new.digest,
        scopes=[scope.value for scope in scopes],
        created_at=now,
    )
    ApiKeysRepository(session, studio_id).add(key)
    return ApiKeyCreated(keyId=key.id, apiKey=new.plaintext, name=key.name, scopes=scopes)


def list_keys(session: Session, studio_id: int) -> list[ApiKeyRead]:
    require_studio(session, studio_id)
    return [_to_wire(key) for key in ApiKeysRepository(session, studio_id).list()]


def revoke_key(session: Session, studio_id: int, key_id: int, *, now: datetime) -> None:
    """The key stops working with the next request: authentication reads it on every call."""
    require_studio(session, studio_id)
    key = ApiKeysRepository(session, studio_id).get(key_id)
    if key is None or key.revoked_at is not None:
        raise ApiKeyNotFound(keyId=key_id)
    key.revoked_at = now
    session.flush()


def confirm_activation(session: Session, principal: Principal, *, now: datetime) -> None:
    """Record that the integration behind the calling key confirmed its activation.

    Idempotent: the first confirmation's time is kept, later calls change nothing.
    """
    key = ApiKeysRepository(session, principal.studio_id).get(principal.key_id)
    if key is None:  # revoked between authentication and now: as if the key were unknown
        raise Unauthenticated()
    if key.activation_confirmed_at is None:
        key.activation_confirmed_at = now
        session.flush()


def _to_wire(key: ApiKey) -> ApiKeyRead:
    return ApiKeyRead(
        keyId=key.id,
        name=key.name,
        scopes=[Scope(scope) for scope in key.scopes],
        prefix=f"{KEY_MARKER}_{key.prefix}",
        createdAt=key.created_at,
        revokedAt=key.revoked_at,
        activationConfirmedAt=key.activation_confirmed_at,
    )
