from __future__ import annotations

from studio_comms.core.errors import Conflict, Invalid, NotFound


class CustomerNotFound(NotFound):
    error_code = "CUSTOMER_NOT_FOUND"


class PhoneNumberInvalid(Invalid):
    """Not a valid number, or a local one while the studio has no country to read it in."""

    # Its own code: whether a number exists is a numbering plan's rule, not the request's shape.
    error_code = "PHONE_NUMBER_INVALID"


class CustomerNumberTaken(Conflict):
    """Another customer of the studio has this customer number (unique within a studio)."""

    error_code = "CUSTOMER_NUMBER_TAKEN"


class CustomerNumberNotFound(NotFound):
    """No customer of the studio has this customer number (getCustomerBy)."""

    error_code = "CUSTOMER_NOT_FOUND"
    message_key = "CUSTOMER_NUMBER_NOT_FOUND"


class SearchCriteriaMissing(Invalid):
    """A customer lookup or search named nothing to look for."""

    error_code = "SEARCH_CRITERIA_MISSING"


class CriterionNotHeld(Invalid):
    """An official lookup criterion studio-comms holds no data for (card numbers, date of birth …)."""

    error_code = "SEARCH_CRITERION_NOT_HELD"
