"""Reports about messages the service really sent: the delivery tests' SMTP server and worker."""

from __future__ import annotations

from tests.messages.conftest import settings, smtp, worker

__all__ = ["settings", "smtp", "worker"]
