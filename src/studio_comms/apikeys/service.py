"""API keys: created by operators (shown once, stored as a hash), checked on every request."""

from __future__ import annotations

from datetime import datetime

from studio_comms.apikeys.errors import ApiKeyNotFound
from studio_comms.apikeys.repository import ApiKeysRepository, KeyRow, find_active_by_prefix
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
from studio_comms.db.tx import Tx


def authenticate(tx: Tx, plaintext: str | None) -> Principal:
    prefix = prefix_of(plaintext) if plaintext else None
    key = find_active_by_prefix(tx, prefix) if prefix else None
    if key is None or plaintext is None or not digest_matches(plaintext, key.key_digest):
        raise Unauthenticated()
    return Principal(studio_id=key.studio_id, key_id=key.id, key_name=key.name, scopes=frozenset(key.scopes))


def create_key(tx: Tx, studio_id: int, data: ApiKeyCreate, *, now: datetime) -> ApiKeyCreated:
    new = generate_key()
    scopes = sorted(set(data.scopes), key=list(Scope).index)
    key_id = ApiKeysRepository(tx, studio_id).add(
        name=data.name,
        prefix=new.prefix,
        key_digest=new.digest,
        scopes=[scope.value for scope in scopes],
        now=now,
    )
    return ApiKeyCreated(keyId=key_id, apiKey=new.plaintext, name=data.name, scopes=scopes)


def list_keys(tx: Tx, studio_id: int) -> list[ApiKeyRead]:
    return [_to_wire(key) for key in ApiKeysRepository(tx, studio_id).all()]


def revoke_key(tx: Tx, studio_id: int, key_id: int, *, now: datetime) -> None:
    """The key stops working with the next request: authentication reads it on every call."""
    repository = ApiKeysRepository(tx, studio_id)
    key = repository.get(key_id)
    if key is None or key.revoked_at is not None:
        raise ApiKeyNotFound(keyId=key_id)
    repository.revoke(key_id, now=now)


def confirm_activation(tx: Tx, principal: Principal, *, now: datetime) -> None:
    """Record that the integration behind the calling key confirmed its activation.

    Idempotent: the first confirmation's time is kept, later calls change nothing.
    """
    repository = ApiKeysRepository(tx, principal.studio_id)
    key = repository.get(principal.key_id)
    if key is None or key.revoked_at is not None:  # revoked since authentication: as if unknown
        raise Unauthenticated()
    if key.activation_confirmed_at is None:
        repository.confirm_activation(principal.key_id, now=now)


def _to_wire(key: KeyRow) -> ApiKeyRead:
    return ApiKeyRead(
        keyId=key.id,
        name=key.name,
        scopes=[Scope(scope) for scope in key.scopes],
        prefix=f"{KEY_MARKER}_{key.prefix}",
        createdAt=key.created_at,
        revokedAt=key.revoked_at,
        activationConfirmedAt=key.activation_confirmed_at,
    )
