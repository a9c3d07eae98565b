"""``Idempotency-Key``: the first request with a key does the work, later ones get its stored response.

The stored response is written in the same transaction as the work, so it exists exactly when the
work was committed. While that transaction runs, the key is held by it: on PostgreSQL by a
transaction-scoped advisory lock (a concurrent request with the same key is told the key is in
use instead of doing the work twice), on SQLite by the write lock every write transaction takes
first. Either ends with the transaction, also when the process holding it dies (PostgreSQL ends
the transaction of a closed connection; SQLite rolls back an unfinished one), so a retry after a
crash succeeds at once instead of waiting for a lease to run out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson

from studio_comms.core import secrets
from studio_comms.db.tx import Tx
from studio_comms.idempotency.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from studio_comms.idempotency.repository import IdempotencyRepository

MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: bytes
    # The body shows credentials (``core.secrets.HoldsSecrets``): stored sealed, never readable.
    secret: bool = False


def fingerprint(method: str, path: str, body: bytes) -> str:
    """Same method, path and JSON value (key order and whitespace do not matter)."""
    canonical = b""
    if body:
        try:
            canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
        except orjson.JSONDecodeError:
            canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


# The first key of PostgreSQL's two-key advisory locks: ours, apart from other users of the locks.
_LOCK_NAMESPACE = 0x1DE4
# A concurrent request holding the key is inside one database transaction: a short wait.
IN_USE_RETRY_AFTER_SECONDS = 1


def _hold(repository: IdempotencyRepository, key: str) -> bool:
    """Take the key for this transaction, without waiting; False when another transaction has it.

    PostgreSQL: an advisory lock that ends with the transaction. SQLite: every write transaction
    starts with BEGIN IMMEDIATE, so this one already excludes every other writer.
    """
    if repository.tx.dialect != "postgresql":
        return True
    digest = hashlib.sha256(f"{repository.api_key_id}:{key}".encode()).digest()
    return repository.try_lock(_LOCK_NAMESPACE, int.from_bytes(digest[:4], "big", signed=True))


def begin(
    tx: Tx, api_key_id: int, key: str, request_fingerprint: str, *, now: datetime, ttl: timedelta
) -> StoredResponse | None:
    """In the request's write transaction, before its work: the response to replay, or None (do
    the work, then :func:`record` its response in the same transaction)."""
    repository = IdempotencyRepository(tx, api_key_id)
    if not _hold(repository, key):
        raise IdempotencyKeyInUse(
            reference="Idempotency-Key", headers={"Retry-After": str(IN_USE_RETRY_AFTER_SECONDS)}
        )
    # Expired records of this API key go now; the (api_key_id, key) index makes this cheap.
    repository.expire(now - ttl)
    stored = repository.find(key)
    if stored is None:
        return None
    if stored.fingerprint != request_fingerprint:
        raise IdempotencyKeyReused(reference="Idempotency-Key")
    if stored.completed_at is None:
        # A claim committed by an earlier version of the service, whose request died: nobody holds
        # the key now, so this request does the work.
        repository.forget(stored.id)
        return None
    body = stored.response_body or b""
    if body.startswith(secrets.PREFIX.encode()):  # a JSON body never starts so
        body = secrets.box().open_bytes(body)
    return StoredResponse(stored.response_status or 0, body)


def record(
    tx: Tx,
    api_key_id: int,
    key: str,
    request_fingerprint: str,
    response: StoredResponse,
    *,
    now: datetime,
) -> None:
    body = secrets.box().seal_bytes(response.body) if response.secret else response.body
    IdempotencyRepository(tx, api_key_id).record(key, request_fingerprint, response.status, body, now=now)
