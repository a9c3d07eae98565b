"""Application errors: a class per error, a stable ``errorCode`` and an HTTP status.

Handlers in ``core.handlers`` render every one of them (and FastAPI's own errors) as ``ErrorResponse``.
"""

from __future__ import annotations

from typing import Any, ClassVar


class AppError(Exception):
    status: ClassVar[int] = 500
    error_code: ClassVar[str] = "INTERNAL_ERROR"
    # Catalogue key of the message; defaults to the error code.
    message_key: ClassVar[str | None] = None

    def __init__(
        self,
        *,
        reference: str | None = None,
        headers: dict[str, str] | None = None,
        message_key: str | None = None,
        **args: Any,
    ) -> None:
        super().__init__(self.error_code)
        self.reference = reference
        self._message_key = message_key
        self.headers = headers or {}
        # Values for the message catalogue's placeholders.
        self.args_for_message = args

    @property
    def catalogue_key(self) -> str:
        return self._message_key or self.message_key or self.error_code


class Invalid(AppError):
    status = 400
    error_code = "VALIDATION_FAILED"


class MalformedJson(Invalid):
    error_code = "MALFORMED_JSON"


class RequestIdMismatch(Invalid):
    error_code = "REQUEST_ID_MISMATCH"


class Unauthenticated(AppError):
    status = 401
    error_code = "AUTHENTICATION_FAILED"


class AdminUnauthenticated(Unauthenticated):
    message_key = "ADMIN_AUTHENTICATION_FAILED"


class MetricsUnauthenticated(Unauthenticated):
    message_key = "METRICS_AUTHENTICATION_FAILED"


class Forbidden(AppError):
    status = 403
    error_code = "FORBIDDEN"


class MissingScope(Forbidden):
    error_code = "MISSING_SCOPE"


class NotFound(AppError):
    status = 404
    error_code = "ENTITY_NOT_FOUND"


class RouteNotFound(NotFound):
    error_code = "ROUTE_NOT_FOUND"


class MethodNotAllowed(AppError):
    status = 405
    error_code = "METHOD_NOT_ALLOWED"


class Conflict(AppError):
    status = 409
    error_code = "CONFLICT"


class ConcurrentModification(Conflict):
    error_code = "CONCURRENT_MODIFICATION"


class PayloadTooLarge(AppError):
    status = 413
    error_code = "PAYLOAD_TOO_LARGE"


class UriTooLong(AppError):
    status = 414
    error_code = "URI_TOO_LONG"


class HeadersTooLarge(AppError):
    status = 431
    error_code = "HEADERS_TOO_LARGE"


class UnsupportedMediaType(AppError):
    status = 415
    error_code = "UNSUPPORTED_MEDIA_TYPE"


class RateLimited(AppError):
    status = 429
    error_code = "RATE_LIMITED"


class ValueNotStorable(Invalid):
    """A value the database refused that validation let through (the field is not known here)."""

    error_code = "VALUE_NOT_STORABLE"


class ServiceUnavailable(AppError):
    status = 503
    error_code = "SERVICE_UNAVAILABLE"
    # A restarting PostgreSQL accepts connections again within seconds.
    RETRY_AFTER_SECONDS: ClassVar[int] = 2

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.headers.setdefault("Retry-After", str(self.RETRY_AFTER_SECONDS))
