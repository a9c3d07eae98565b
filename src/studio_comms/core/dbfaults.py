"""Database faults as application errors, for every entry point (API, operator API, pages).

``db.faults`` says what went wrong; this turns it into what the client is told: 503
``SERVICE_UNAVAILABLE`` with ``Retry-After`` while the database cannot be reached, 409
``CONCURRENT_MODIFICATION`` when another request won a race, 400 for a value the database refused.
"""

from __future__ import annotations

import logging

from studio_comms.core.errors import AppError, ConcurrentModification, ServiceUnavailable, ValueNotStorable
from studio_comms.db.faults import Fault, describe, fault_of

log = logging.getLogger("studio_comms.database")


def as_app_error(error: BaseException) -> AppError | None:
    """The error to answer with, or None when ``error`` is no database fault (a bug: 500)."""
    fault = fault_of(error)
    if fault is Fault.UNAVAILABLE:
        log.warning("database unavailable: %s", describe(error))
        return ServiceUnavailable()
    if fault is Fault.CONFLICT:
        log.warning("database conflict, the request may be retried: %s", describe(error))
        return ConcurrentModification()
    if fault is Fault.BAD_DATA:
        log.warning("database refused a value: %s", describe(error))
        return ValueNotStorable()
    return None
