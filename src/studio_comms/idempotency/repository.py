"""Idempotency records of one API key (keys are per API key, so no other key can see them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from studio_comms.db.sql import Sql
from studio_comms.db.tx import Tx, utc, utc_or_none

_EXPIRE = Sql("DELETE FROM idempotency_records WHERE api_key_id = :api_key_id AND created_at <= :before")
_FIND = Sql(
    """
    SELECT id, fingerprint, response_status, response_body, created_at, completed_at
    FROM idempotency_records WHERE api_key_id = :api_key_id AND idempotency_key = :key FOR UPDATE
    """
)
_CLAIM = Sql(
    """
    INSERT INTO idempotency_records (api_key_id, idempotency_key, fingerprint, created_at)
    VALUES (:api_key_id, :key, :fingerprint, :now)
    RETURNING id
    """
)
_TAKE_OVER = Sql("UPDATE idempotency_records SET created_at = :now WHERE id = :id")
_COMPLETE = Sql(
    """
    UPDATE idempotency_records SET response_status = :status, response_body = :body, completed_at = :now
    WHERE id = :id
    """
)
_RELEASE = Sql("DELETE FROM idempotency_records WHERE id = :id")


@dataclass(frozen=True, slots=True)
class Record:
    id: int
    fingerprint: str
    response_status: int | None
    response_body: bytes | None
    created_at: datetime
    completed_at: datetime | None


class IdempotencyRepository:
    def __init__(self, tx: Tx, api_key_id: int) -> None:
        self.tx = tx
        self.api_key_id = api_key_id

    def expire(self, before: datetime) -> None:
        self.tx.run(_EXPIRE, api_key_id=self.api_key_id, before=before)

    def find(self, key: str) -> Record | None:
        """Locked (PostgreSQL), so one request at a time decides what to do with the key."""
        row = self.tx.row(_FIND, api_key_id=self.api_key_id, key=key)
        if row is None:
            return None
        body = bytes(row[3]) if row[3] is not None else None
        return Record(row[0], row[1], row[2], body, utc(row[4]), utc_or_none(row[5]))

    def claim(self, key: str, fingerprint: str, *, now: datetime) -> int:
        record_id: int = self.tx.scalar(
            _CLAIM, api_key_id=self.api_key_id, key=key, fingerprint=fingerprint, now=now
        )
        return record_id

    def take_over(self, record_id: int, *, now: datetime) -> None:
        self.tx.run(_TAKE_OVER, id=record_id, now=now)

    def complete(self, record_id: int, status: int, body: bytes, *, now: datetime) -> None:
        self.tx.run(_COMPLETE, id=record_id, status=status, body=body, now=now)

    def release(self, record_id: int) -> None:
        self.tx.run(_RELEASE, id=record_id)
