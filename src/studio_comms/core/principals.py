"""Principals remembered for a second, so a busy key is not read from the database per request.

Revocation stays prompt: an entry is trusted for ``ttl_seconds`` only (1 s: a key revoked in any
process, by the operator API or the CLI, stops working within a second everywhere), and a change
made through this process's operator API forgets every entry at once. Only keys that proved
themselves are remembered; a wrong key is looked up (and refused) every time.
"""

from __future__ import annotations

import threading
import time

from studio_comms.core.auth import Principal


class PrincipalCache:
    def __init__(self, ttl_seconds: float = 1.0, max_entries: int = 10_000) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, api_key: str) -> Principal | None:
        entry = self._entries.get(api_key)
        if entry is None or time.monotonic() >= entry[0]:
            return None
        return entry[1]

    def put(self, api_key: str, principal: Principal) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries = {}  # a flood of distinct valid keys: start over rather than grow
            self._entries[api_key] = (time.monotonic() + self.ttl_seconds, principal)

    def clear(self) -> None:
        with self._lock:
            self._entries = {}
