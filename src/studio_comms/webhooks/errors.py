from __future__ import annotations

from studio_comms.core.errors import Conflict, Invalid, NotFound


class WebhookNotFound(NotFound):
    error_code = "WEBHOOK_NOT_FOUND"


class DeliveryNotFound(NotFound):
    error_code = "DELIVERY_NOT_FOUND"


class WebhookUrlNotAllowed(Invalid):
    error_code = "WEBHOOK_URL_NOT_ALLOWED"


class WebhookDisabled(Conflict):
    error_code = "WEBHOOK_DISABLED"


class DeliveryPending(Conflict):
    error_code = "DELIVERY_PENDING"
