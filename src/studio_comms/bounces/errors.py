from __future__ import annotations

from studio_comms.core.errors import Invalid


class MailFeedbackMalformed(Invalid):
    """Empty, a report (multipart/report) without the fields its RFC requires, or a message the
    parser is not given (nested deeper than any mail system writes)."""

    error_code = "MAIL_FEEDBACK_MALFORMED"
