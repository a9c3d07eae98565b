from __future__ import annotations

from studio_comms.core.errors import Invalid


class MailFeedbackMalformed(Invalid):
    """Empty, or a report (multipart/report) without the fields its RFC requires."""

    error_code = "MAIL_FEEDBACK_MALFORMED"


class MailFeedbackUnattributed(Invalid):
    """No studio: neither ``studioId`` nor a Message-ID of ours, or the two disagree."""

    error_code = "MAIL_FEEDBACK_UNATTRIBUTED"
