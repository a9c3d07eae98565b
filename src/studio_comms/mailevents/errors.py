from __future__ import annotations

from studio_comms.core.errors import Forbidden, Invalid, NotFound, Unauthenticated


class MailProviderNotConfigured(NotFound):
    """The studio has no relay of this provider configured: nothing of its events can be verified."""

    error_code = "MAIL_PROVIDER_NOT_CONFIGURED"


class MailProviderKeyInvalid(Invalid):
    # Its own code: whether base64 text is a P-256 public key no JSON Schema can say.
    error_code = "MAIL_PROVIDER_KEY_INVALID"


class MailEventUnauthenticated(Unauthenticated):
    """Postmark's basic auth missing or wrong."""

    error_code = "MAIL_EVENT_UNAUTHENTICATED"


class MailEventSignatureInvalid(Forbidden):
    """Mailgun's or SendGrid's signature missing, forged, too old, or its token used before."""

    error_code = "MAIL_EVENT_SIGNATURE_INVALID"


class MailEventMalformed(Invalid):
    """Not the provider's JSON event body (not JSON, a field of the wrong type, too big)."""

    error_code = "MAIL_EVENT_MALFORMED"
