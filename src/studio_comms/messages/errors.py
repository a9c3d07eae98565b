from __future__ import annotations

from studio_comms.core.errors import Conflict, Invalid, NotFound


class MessageNotFound(NotFound):
    error_code = "MESSAGE_NOT_FOUND"


class BatchNotFound(NotFound):
    error_code = "MESSAGE_BATCH_NOT_FOUND"


class MessageNotPermitted(Conflict):
    """Sending always enforces the decision, whatever the studio's recording mode."""

    error_code = "COMMUNICATION_NOT_PERMITTED"
    message_key = "MESSAGE_NOT_PERMITTED"


class NoAddress(Conflict):
    error_code = "CUSTOMER_HAS_NO_ADDRESS"


class QuietHoursNotAllowed(Invalid):
    error_code = "QUIET_HOURS_NOT_ALLOWED"


class QuietHoursRepeated(Invalid):
    error_code = "QUIET_HOURS_REPEATED"


class TemplateInvalid(Invalid):
    """Something in a text's braces that is not a placeholder (``messages.placeholders``)."""

    error_code = "TEMPLATE_INVALID"


class RenderedTooLong(Invalid):
    """A field over its limit once the member's values are filled in: refused when the send is
    accepted, so nothing over a limit is ever queued."""

    error_code = "RENDERED_TOO_LONG"


class MarketingNotChoosable(Invalid):
    """``marketing`` given against its category: CONTRACT and APPOINTMENT are never marketing,
    NEWSLETTER and LOYALTY_PROGRAM always (only GENERAL says)."""

    error_code = "MARKETING_FLAG_NOT_ALLOWED"
