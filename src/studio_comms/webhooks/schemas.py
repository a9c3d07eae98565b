"""Wire models of ``/v1/webhooks`` (an extension: Sport Alliance registers webhooks by e-mail)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from studio_comms.core.schemas import Int64
from studio_comms.core.secrets import HoldsSecrets
from studio_comms.outbox.service import EventType


class WebhookEventType(StrEnum):
    """The event types a subscription can filter on (the outbox's, without PING)."""

    CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED = EventType.CUSTOMER_COMMUNICATION_PREFERENCES_UPDATED.value
    COMMUNICATION_THREAD_CREATED = EventType.COMMUNICATION_THREAD_CREATED.value
    COMMUNICATION_CREATED = EventType.COMMUNICATION_CREATED.value
    COMMUNICATION_THREAD_STATUS_CHANGED = EventType.COMMUNICATION_THREAD_STATUS_CHANGED.value
    MESSAGE_STATUS_CHANGED = EventType.MESSAGE_STATUS_CHANGED.value


class WebhookStatus(StrEnum):
    ACTIVE = "ACTIVE"
    # Every delivery failed for the whole failure window; PATCH status ACTIVE to resume.
    DISABLED = "DISABLED"


class DeliveryState(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    # Every attempt of the schedule failed.
    DEAD = "DEAD"
    # Not sent: the subscription was deleted or disabled first.
    CANCELLED = "CANCELLED"


# Published so clients see what a receiver's URL looks like; the rest (https unless private networks
# are allowed, a host that resolves to a public address) is checked when it is given (400
# WEBHOOK_URL_NOT_ALLOWED, as for any other URL).
URL_SHAPE: dict[str, JsonValue] = {"pattern": r"^https?://[^\s/?#@]+(/[^\s]*)?$"}


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=1,
        max_length=2048,
        description="https, publicly reachable",
        json_schema_extra=URL_SHAPE,
    )
    eventTypes: list[WebhookEventType] | None = Field(
        default=None, min_length=1, description="Default: every event type, also ones added later"
    )
    description: str | None = Field(default=None, max_length=255)


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, min_length=1, max_length=2048, json_schema_extra=URL_SHAPE)
    eventTypes: list[WebhookEventType] | None = Field(default=None, min_length=1)
    description: str | None = Field(default=None, max_length=255)
    status: WebhookStatus | None = None

    @field_validator("url", "status")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Leave a field out to keep it; null would mean "no URL" or "no status", which cannot be.
        if value is None:
            raise ValueError("must not be null; leave the field out to keep it")
        return value


class WebhookRead(BaseModel):
    webhookId: Int64
    url: str
    eventTypes: list[str] = Field(description="The event types sent to this endpoint")
    allEventTypes: bool = Field(description="Subscribed without a filter: event types added later come too")
    description: str | None = None
    status: WebhookStatus
    createdAt: datetime
    failingSince: datetime | None = None
    disabledAt: datetime | None = None


class WebhookCreated(WebhookRead, HoldsSecrets):
    """The only response that shows the credentials."""

    apiKey: str = Field(description="Sent as `x-api-key` with every delivery")
    signingSecret: str = Field(description="Standard Webhooks secret (`whsec_…`) for `webhook-signature`")


class WebhookSecrets(BaseModel, HoldsSecrets):
    webhookId: Int64
    apiKey: str
    signingSecret: str


class DeliveryAttemptRead(BaseModel):
    attempt: int
    attemptedAt: datetime
    statusCode: int | None = None
    durationMs: int
    error: str | None = None


class DeliveryRead(BaseModel):
    deliveryId: Int64
    webhookId: Int64
    eventUuid: str
    eventType: str
    entityId: Int64
    state: DeliveryState
    attempt: int = Field(description="Attempts made so far")
    statusCode: int | None = Field(default=None, description="Of the last attempt")
    durationMs: int | None = Field(default=None, description="Of the last attempt")
    error: str | None = Field(default=None, description="Of the last attempt")
    nextRetryAt: datetime | None = None
    createdAt: datetime
    finishedAt: datetime | None = None
    attempts: list[DeliveryAttemptRead]


class DeliveryQueued(BaseModel):
    deliveryId: Int64
    eventUuid: str
    state: DeliveryState
