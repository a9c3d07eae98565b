"""Database faults as application errors, for every entry point (API, operator API, pages).

``db.errors`` says what went wrong; this turns it into what the client is told: 503
``SERVICE_UNAVAILABLE`` with ``Retry-After`` while the database cannot be reached, 409
``CONCURRENT_MODIFICATION`` when another request won a race, 400 for a value the database refused.
"""

from __future__ import annotations

import logging

from studio_comms.core.errors import AppError, ConcurrentModification, ServiceUnavailable, ValueNotStorable
from studio_comms.db import errors

log = logging.getLogger("studio_comms.database")


def as_app_error(error: BaseException) -> AppError | None:
    """The error to answer with, or None when ``error`` is no database fault (a bug: 500)."""
    kind = errors.translate(error)
    # The message is faults.describe(): class, SQLSTATE, constraint; never a value.
    if isinstance(kind, errors.DatabaseUnavailable):
        log.warning("database unavailable: %s", kind)
        return ServiceUnavailable()
    if isinstance(kind, errors.ConstraintViolation):
        log.warning("database conflict, the request may be retried: %s", kind)
        return ConcurrentModification()
    if isinstance(kind, errors.ValueRefused):
        log.warning("database refused a value: %s", kind)
        return ValueNotStorable()
    return None
