"""The webhook sender for tests that have no event loop running: its ``send`` on a loop of its own."""

from __future__ import annotations

import asyncio
from pathlib import Path

from studio_comms.webhooks.sender import Attempt, Sender


class BlockingSender:
    def __init__(self, *, timeout: float, allow_private: bool, ca_bundle: Path | None = None) -> None:
        self.sender = Sender(timeout=timeout, allow_private=allow_private, ca_bundle=ca_bundle)
        self._loop = asyncio.new_event_loop()

    def post(self, url: str, body: str | bytes, headers: dict[str, str]) -> Attempt:
        data = body.encode() if isinstance(body, str) else body
        return self._loop.run_until_complete(self.sender.send(url, data, headers))

    def close(self) -> None:
        self.sender.close()
        self._loop.run_until_complete(asyncio.sleep(0))  # the closed connections finish closing
        self._loop.close()
