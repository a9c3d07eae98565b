from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from studio_comms.apikeys.models import ApiKey


def find_active_by_prefix(session: Session, prefix: str) -> ApiKey | None:
    """The only cross-studio query: the key itself tells which studio is calling."""
    return session.scalars(select(ApiKey).where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_(None))).first()


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
