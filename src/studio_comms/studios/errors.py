from __future__ import annotations

from studio_comms.core.errors import NotFound


class StudioNotFound(NotFound):
    error_code = "STUDIO_NOT_FOUND"
