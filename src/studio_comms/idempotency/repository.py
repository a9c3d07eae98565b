"""Idempotency records of one API key (keys are per API key, so no other key can see them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from studio_comms.db.sql import Sql
from studio_comms.db.tx import Tx


@dataclass(slots=True)
class Record:
    id: int
    fingerprint: str
    response_status: int | None
    response_body: bytes | None
    completed_at: datetime | None


_EXPIRE = Sql("DELETE FROM idempotency_records WHERE api_key_id = :api_key_id AND created_at <= :before")
_FIND = Sql(
    """
    SELECT id, fingerprint, response_status, response_body, completed_at
    FROM idempotency_records WHERE api_key_id = :api_key_id AND idempotency_key = :key
    """,
    row=Record,
)
_RECORD = Sql(
    """
    INSERT INTO idempotency_records
      (api_key_id, idempotency_key, fingerprint, response_status, response_body, created_at, completed_at)
    VALUES (:api_key_id, :key, :fingerprint, :status, :body, :now, :now)
    """
)
_FORGET = Sql("DELETE FROM idempotency_records WHERE id = :id")
# PostgreSQL: a lock of this transaction on (namespace, key); taken without waiting.
_TRY_LOCK = Sql("SELECT pg_try_advisory_xact_lock(CAST(:namespace AS integer), CAST(:key AS integer))")


class IdempotencyRepository:
    def __init__(self, tx: Tx, api_key_id: int) -> None:
        self.tx = tx
        self.api_key_id = api_key_id

    def try_lock(self, namespace: int, key: int) -> bool:
        """PostgreSQL only: hold ``key`` until the transaction ends; False if another holds it."""
        return bool(self.tx.scalar(_TRY_LOCK, namespace=namespace, key=key))

    def expire(self, before: datetime) -> None:
        self.tx.run(_EXPIRE, api_key_id=self.api_key_id, before=before)

    def find(self, key: str) -> Record | None:
        return self.tx.row(_FIND, api_key_id=self.api_key_id, key=key)

    def record(self, key: str, fingerprint: str, status: int, body: bytes, *, now: datetime) -> None:
        self.tx.run(
            _RECORD,
            api_key_id=self.api_key_id,
            key=key,
            fingerprint=fingerprint,
            status=status,
            body=body,
            now=now,
        )

    def forget(self, record_id: int) -> None:
        self.tx.run(_FORGET, id=record_id)
