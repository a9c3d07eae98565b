from __future__ import annotations

from studio_comms.core.errors import Invalid, NotFound


class CustomerNotFound(NotFound):
    error_code = "CUSTOMER_NOT_FOUND"


class PhoneNumberInvalid(Invalid):
    """Not a valid number, or a local one while the studio has no country to read it in."""

    # Its own code: whether a number exists is a numbering plan's rule, not the request's shape.
    error_code = "PHONE_NUMBER_INVALID"
