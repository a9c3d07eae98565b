from __future__ import annotations

from studio_comms.core.errors import Conflict


class CustomerErased(Conflict):
    error_code = "CUSTOMER_ERASED"
