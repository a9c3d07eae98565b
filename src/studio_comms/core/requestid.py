"""Request ids: taken from a well-formed incoming ``X-Request-Id`` or made here."""

from __future__ import annotations

import re
import uuid
from typing import Any

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
STATE_KEY = "request_id"


def new_request_id(incoming: str | None) -> str:
    if incoming and _SAFE_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


def request_id_of(scope: Any) -> str | None:
    state = scope.get("state") or {}
    value = state.get(STATE_KEY)
    return value if isinstance(value, str) else None
