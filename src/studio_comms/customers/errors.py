from __future__ import annotations

from studio_comms.core.errors import Invalid, NotFound


class CustomerNotFound(NotFound):
    error_code = "CUSTOMER_NOT_FOUND"


class PhoneNumberInvalid(Invalid):
    """Not a valid number, or a local one while the studio has no country to read it in."""

    error_code = "VALIDATION_FAILED"
    message_key = "PHONE_NUMBER_INVALID"
