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

from studio_comms.db.tx import Tx
from studio_comms.idempotency.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from studio_comms.idempotency.repository import IdempotencyRepository

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
    tx: Tx,
    api_key_id: int,
    key: str,
    request_fingerprint: str,
    *,
    now: datetime,
    ttl: timedelta,
    lease: timedelta,
) -> Claim:
    repository = IdempotencyRepository(tx, api_key_id)
    # Expired records of this API key go now; the (api_key_id, key) index makes this cheap.
    repository.expire(now - ttl)
    record = repository.find(key)
    if record is None:
        return Claim(record_id=repository.claim(key, request_fingerprint, now=now))
    if record.fingerprint != request_fingerprint:
        raise IdempotencyKeyReused(reference="Idempotency-Key")
    if record.completed_at is not None:
        return Claim(replay=StoredResponse(record.response_status or 0, record.response_body or b""))
    if record.created_at <= now - lease:
        # The request that claimed the key died without releasing it; this one takes over.
        repository.take_over(record.id, now=now)
        return Claim(record_id=record.id)
    raise IdempotencyKeyInUse(reference="Idempotency-Key", headers={"Retry-After": "1"})


def complete(tx: Tx, api_key_id: int, record_id: int, response: StoredResponse, *, now: datetime) -> None:
    IdempotencyRepository(tx, api_key_id).complete(record_id, response.status, response.body, now=now)


def release(tx: Tx, api_key_id: int, record_id: int) -> None:
    """Forget a claim whose request failed, so that a retry with the same key runs again."""
    IdempotencyRepository(tx, api_key_id).release(record_id)
