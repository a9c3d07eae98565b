"""A studio's API keys; and the one lookup across studios: the key itself names its studio."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from studio_comms.db.scoped import StudioScoped
from studio_comms.db.sql import Sql
from studio_comms.db.tx import Tx


@dataclass(slots=True)
class ActiveKey:
    id: int
    studio_id: int
    name: str
    key_digest: str
    scopes: list[str]


# Every API request runs it (unless the principal is cached).
_ACTIVE_BY_PREFIX = Sql(
    """
    SELECT id, studio_id, name, key_digest, scopes FROM api_keys
    WHERE prefix = :prefix AND revoked_at IS NULL
    """,
    row=ActiveKey,
    cross_studio="authentication: the key tells which studio is calling",
)


@dataclass(slots=True)
class KeyRow:
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None
    activation_confirmed_at: datetime | None


_COLUMNS = "id, name, prefix, scopes, created_at, revoked_at, activation_confirmed_at"
_LIST = Sql(f"SELECT {_COLUMNS} FROM api_keys WHERE studio_id = :studio_id ORDER BY id", row=KeyRow)
_GET = Sql(f"SELECT {_COLUMNS} FROM api_keys WHERE studio_id = :studio_id AND id = :id", row=KeyRow)
_ADD = Sql(
    """
    INSERT INTO api_keys (studio_id, name, prefix, key_digest, scopes, created_at)
    VALUES (:studio_id, :name, :prefix, :key_digest, :scopes, :now)
    RETURNING id
    """
)
_REVOKE = Sql("UPDATE api_keys SET revoked_at = :now WHERE studio_id = :studio_id AND id = :id")
_CONFIRM_ACTIVATION = Sql(
    """
    UPDATE api_keys SET activation_confirmed_at = :now
    WHERE studio_id = :studio_id AND id = :id AND activation_confirmed_at IS NULL
    """
)


def find_active_by_prefix(tx: Tx, prefix: str) -> ActiveKey | None:
    return tx.row(_ACTIVE_BY_PREFIX, prefix=prefix)


class ApiKeysRepository(StudioScoped):
    def all(self) -> list[KeyRow]:
        return self._rows(_LIST)

    def get(self, key_id: int) -> KeyRow | None:
        return self._row(_GET, id=key_id)

    def add(self, *, name: str, prefix: str, key_digest: str, scopes: list[str], now: datetime) -> int:
        key_id: int = self._scalar(
            _ADD, name=name, prefix=prefix, key_digest=key_digest, scopes=scopes, now=now
        )
        return key_id

    def revoke(self, key_id: int, *, now: datetime) -> None:
        self._run(_REVOKE, id=key_id, now=now)

    def confirm_activation(self, key_id: int, *, now: datetime) -> None:
        """The first confirmation's time stays."""
        self._run(_CONFIRM_ACTIVATION, id=key_id, now=now)
