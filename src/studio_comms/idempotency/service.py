"""``Idempotency-Key``: the first request with a key claims it, later ones get its stored response.

The claim is committed on its own before the work starts, so a concurrent request with the same
key sees it and is told the key is in use instead of doing the work twice. The stored response is
written in the same transaction as the work, so it exists exactly when the work was committed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from studio_comms.idempotency.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from studio_comms.idempotency.models import IdempotencyRecord

MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: bytes


@dataclass(frozen=True, slots=True)
class Claim:
    record_id: int | None = None
    replay: StoredResponse | None = None


def fingerprint(method: str, path: str, body: bytes) -> str:
    """Same method, path and JSON value (key order and whitespace do not matter)."""
    canonical = b""
    if body:
        try:
            canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
        except orjson.JSONDecodeError:
            canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


def claim(
    session: Session,
    api_key_id: int,
    key: str,
    request_fingerprint: str,
    *,
    now: datetime,
    ttl: timedelta,
    lease: timedelta,
) -> Claim:
    # Expired records of this API key go now; the (api_key_id, key) index makes this cheap.
    session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.api_key_id == api_key_id, IdempotencyRecord.created_at <= now - ttl
        )
    )
    record = session.scalars(
        select(IdempotencyRecord)
        .where(IdempotencyRecord.api_key_id == api_key_id, IdempotencyRecord.idempotency_key == key)
        .with_for_update()
    ).first()
    if record is None:
        record = IdempotencyRecord(
            api_key_id=api_key_id,
            idempotency_key=key,
            fingerprint=request_fingerprint,
            created_at=now,
        )
        session.add(record)
        session.flush()
        return Claim(record_id=record.id)
    if record.fingerprint != request_fingerprint:
        raise IdempotencyKeyReused(reference="Idempotency-Key")
    if record.completed_at is not None:
        return Claim(replay=StoredResponse(record.response_status or 0, record.response_body or b""))
    if record.created_at <= now - lease:
        # The request that claimed the key died without releasing it; this one takes over.
        record.created_at = now
        session.flush()
        return Claim(record_id=record.id)
    raise IdempotencyKeyInUse(reference="Idempotency-Key", headers={"Retry-After": "1"})


def complete(session: Session, record_id: int, response: StoredResponse, *, now: datetime) -> None:
    record = session.get(IdempotencyRecord, record_id)
    assert record is not None, "an idempotency claim vanished while its request ran"
    record.response_status = response.status
    record.response_body = response.body
    record.completed_at = now
    session.flush()


def release(session: Session, record_id: int) -> None:
    """Forget a claim whose request failed, so that a retry with the same key runs again."""
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
