from __future__ import annotations

from studio_comms.core.errors import Conflict, NotFound


class ThreadNotFound(NotFound):
    error_code = "THREAD_NOT_FOUND"


class CommunicationNotPermitted(Conflict):
    error_code = "COMMUNICATION_NOT_PERMITTED"
