from __future__ import annotations

from studio_comms.core.errors import NotFound


class ApiKeyNotFound(NotFound):
    error_code = "API_KEY_NOT_FOUND"
