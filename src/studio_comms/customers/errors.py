from __future__ import annotations

from studio_comms.core.errors import NotFound


class CustomerNotFound(NotFound):
    error_code = "CUSTOMER_NOT_FOUND"
