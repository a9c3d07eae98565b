from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from studio_comms.apikeys.models import ApiKey
from studio_comms.db.rawsql import RawConnection, Sql

_ACTIVE_BY_PREFIX = Sql(
    """
    SELECT id, studio_id, name, key_digest, scopes FROM api_keys
    WHERE prefix = :prefix AND revoked_at IS NULL
    """
)


@dataclass(frozen=True, slots=True)
class ActiveKey:
    id: int
    studio_id: int
    name: str
    key_digest: str
    scopes: list[str]


def find_active_by_prefix(connection: RawConnection, prefix: str) -> ActiveKey | None:
    """The only cross-studio query: the key itself tells which studio is calling.

    Every API request runs it, so it is plain SQL (see ``db.rawsql``).
    """
    rows = connection.rows(_ACTIVE_BY_PREFIX, prefix=prefix)
    if not rows:
        return None
    key_id, studio_id, name, digest, scopes = rows[0]
    if isinstance(scopes, str):  # a JSON column arrives parsed from psycopg, as text from sqlite3
        scopes = json.loads(scopes)
    return ActiveKey(key_id, studio_id, name, digest, scopes)


class ApiKeysRepository:
    def __init__(self, session: Session, studio_id: int) -> None:
        self.session = session
        self.studio_id = studio_id

    def list(self) -> list[ApiKey]:
        return list(
            self.session.scalars(select(ApiKey).where(ApiKey.studio_id == self.studio_id).order_by(ApiKey.id))
        )

    def get(self, key_id: int) -> ApiKey | None:
        key = self.session.get(ApiKey, key_id)
        return key if key is not None and key.studio_id == self.studio_id else None

    def add(self, key: ApiKey) -> None:
        assert key.studio_id == self.studio_id
        self.session.add(key)
        self.session.flush()
