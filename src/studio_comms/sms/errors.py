from __future__ import annotations

from studio_comms.core.errors import Conflict, Forbidden, Invalid, NotFound


class SmsProviderNotConfigured(NotFound):
    """The studio has no provider account: nothing of its callbacks can be verified."""

    error_code = "SMS_PROVIDER_NOT_CONFIGURED"


class SignatureInvalid(Forbidden):
    """The request is not signed with the studio's auth token (or names another account)."""

    error_code = "SIGNATURE_INVALID"


class CallbackMalformed(Invalid):
    """Not a form body of the provider's callback (a field missing, not form-encoded, too big)."""

    error_code = "CALLBACK_MALFORMED"


class SmsSenderInvalid(Invalid):
    # Its own code: whether a number exists is a numbering plan's rule, not the request's shape.
    error_code = "SMS_SENDER_INVALID"


class SmsReplyNotFound(NotFound):
    error_code = "SMS_REPLY_NOT_FOUND"


class SmsReplyDecided(Conflict):
    """Applied and then dismissed, or the other way round: the first decision stands."""

    error_code = "SMS_REPLY_DECIDED"
