from __future__ import annotations

from studio_comms.core.errors import Conflict


class IdempotencyKeyReused(Conflict):
    error_code = "IDEMPOTENCY_KEY_REUSED"


class IdempotencyKeyInUse(Conflict):
    error_code = "IDEMPOTENCY_KEY_IN_USE"
